export * from './errors.js';
export * from './digest.js';
export * from './canonical-json.js';
export * from './ids.js';
export * from './atomic-file.js';
export * from './validation.js';
export * from './bounded-json.js';
