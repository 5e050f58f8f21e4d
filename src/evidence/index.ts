export * from './classify.js';
export * from './trust.js';
export * from './group-commit.js';
export * from './locker.js';
export * from './verify-pool.js';
export * from './gc.js';
