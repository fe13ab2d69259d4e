export * from './outbox-store.js';
export * from './in-memory-outbox-store.js';
export * from './sql-outbox-store.js';
export * from './outbox-relay.js';
