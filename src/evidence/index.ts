export * from './classify.js';
export * from './trust.js';
export * from './group-commit.js';
export * from './locker.js';
