export {
  DomainEvent,
  defineEvent,
  type EventClass,
  type EventEnvelope,
  type EventInit,
  type EventOf,
  type EventSpec,
  type ProvenanceField,
} from './domain-event.js';
export * from './event-record.js';
export * from './event-registry.js';
export * from './field-types.js';
export * from './ids.js';
export * from './json.js';
export * from './upcaster.js';
export * from './conversions.js';
export * from './immutable.js';
export * from './decimal.js';
