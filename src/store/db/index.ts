export * from './schema.js';
export * from './connect.js';
export * from './migrations.js';
export * from './tenants-repo.js';
export * from './tokens-repo.js';
export * from './keys-repo.js';
export * from './evidence-repo.js';
