export * from './blob-store.js';
export * from './cas-key.js';
export * from './fs-blob-store.js';
export * from './s3-blob-store.js';
export * from './open.js';
