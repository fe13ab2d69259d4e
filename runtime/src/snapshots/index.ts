export * from './snapshot-store.js';
export * from './memory/in-memory-snapshot-store.js';
