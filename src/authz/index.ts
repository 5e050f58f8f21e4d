export * from './access-matrix.js';
export * from './principal.js';
export * from './tokens.js';
