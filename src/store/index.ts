export * from './blob/index.js';
export * from './db/index.js';
