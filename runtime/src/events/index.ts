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
// Named, not `export *`: these modules also hold the stores' internal helpers.
export { toEventRecord, type EventRecord } from './event-record.js';
export * from './event-registry.js';
export * from './field-types.js';
export { newEventId } from './ids.js';
export {
  MAX_JSON_DEPTH,
  deepFreeze,
  freezeParsedJson,
  nestingError,
  textProblem,
  toFrozenJsonValue,
  toJsonValue,
  type JsonObject,
  type JsonValue,
} from './json.js';
export * from './upcaster.js';
export * from './upcaster-not-written.js';
export * from './conversions.js';
export { ImmutableDate, freezeOwned, immutableCopy } from './immutable.js';
export * from './decimal.js';
