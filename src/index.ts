/**
 * attestry: sign, record and verify evidence for the software and AI supply chain.
 * The library API; the CLI (`attestry`) is a thin layer over these functions.
 */
export * from './core/index.js';
export * from './crypto/index.js';
export * from './models/index.js';
export * from './sigstore/index.js';
export * from './tlog/index.js';
