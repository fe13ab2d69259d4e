export * from './event-store.js';
export * from './expected-version.js';
export * from './position.js';
export * from './stream-id.js';
export * from './undecodable-event-error.js';
export * from './memory/in-memory-event-store.js';
export * from './sql/index.js';
