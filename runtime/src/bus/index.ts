export * from './event-bus.js';
export * from './bus-errors.js';
export * from './bus-message.js';
export * from './deliver.js';
export * from './aggregate-version-store.js';
export * from './memory/in-memory-event-bus.js';
