export * from './domain-event.js';
export * from './event-record.js';
export * from './event-registry.js';
export * from './field-types.js';
export * from './ids.js';
export * from './json.js';
export * from './upcaster.js';
export * from './immutable.js';
