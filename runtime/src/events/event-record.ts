import type { DomainEvent } from './domain-event.js';
import { LastIsoText } from './iso-time.js';
import { toJsonValue, type JsonObject, type JsonValue } from './json.js';

/**
 * An event in its stored form: plain JSON, as written to a store table, an outbox row or a bus
 * message. `eventVersion` is the schema version `data` was written with; readers upcast it.
 */
export interface EventRecord {
  readonly eventId: string;
  readonly eventType: string;
  readonly eventVersion: number;
  readonly aggregateId: string;
  readonly aggregateType: string;
  readonly aggregateVersion: number;
  /** ISO-8601, UTC. */
  readonly occurredAt: string;
  readonly tenantId: string | null;
  readonly actorId: string | null;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly metadata: JsonObject;
  readonly data: JsonValue;
}

const occurredTexts = new LastIsoText();

/** An event's stored form without its payload: what a store writes beside the payload's text. */
export type EventRecordEnvelope = Omit<EventRecord, 'data'>;

/** Turns an event into its stored form. Throws `SerializationError` for values JSON cannot carry. */
export function toEventRecord(event: DomainEvent): EventRecord {
  const record = toEventRecordEnvelope(event) as { -readonly [K in keyof EventRecord]: EventRecord[K] };
  record.data = toJsonValue(event.data, 'data');
  return record;
}

/**
 * {@link toEventRecord} without the payload, for a store that serialises the payload itself.
 *
 * @example
 * ```ts
 * const { eventId, occurredAt, metadata } = toEventRecordEnvelope(event); // occurredAt as ISO text
 * ```
 */
export function toEventRecordEnvelope(event: DomainEvent): EventRecordEnvelope {
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    eventVersion: event.eventVersion,
    aggregateId: event.aggregateId,
    aggregateType: event.aggregateType,
    aggregateVersion: event.aggregateVersion,
    occurredAt: occurredTexts.of(event.occurredAt),
    tenantId: event.tenantId ?? null,
    actorId: event.actorId ?? null,
    correlationId: event.correlationId,
    causationId: event.causationId ?? null,
    metadata: event.metadata as JsonObject,
  };
}
