export * from './keys.js';
export * from './signer.js';
export * from './dsse.js';
export * from './intoto.js';
export * from './bundle.js';
export { encryptPrivateKeyPem, SCRYPT_PARAMS } from './pkcs8-scrypt.js';
export * from './keyring.js';
