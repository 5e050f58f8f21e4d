export * from './hash.js';
export * from './merkle.js';
export * from './tiles.js';
export * from './append.js';
export * from './note.js';
export * from './checkpoint.js';
export * from './entry.js';
export * from './hashedrekord.js';
export * from './bundle.js';
export * from './log-store.js';
export * from './log-reader.js';
export * from './witness.js';
export * from './log-witnesses.js';
export * from './client.js';
export * from './monitor.js';
export {
  ATTESTRY_TSA_POLICY,
  failInfoOf,
  parseTimestampRequest,
  TimestampAuthority,
  type TimestampOptions,
  type TimestampRequest,
  type TsaSettings,
} from './tsa.js';
export { createTsaChain, openTsaDirectory, parseTsaChain, type TsaChain } from './tsa-certs.js';
