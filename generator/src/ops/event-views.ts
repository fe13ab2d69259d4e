import { toEventRecord, type JsonObject, type JsonValue, type StoredEvent } from '@eventsmith/runtime';

/** A stored event as the operations tools show it: plain JSON. */
export interface EventView {
  readonly position: string;
  readonly streamId: string;
  readonly version: number;
  /** When the store committed it, ISO-8601. */
  readonly storedAt: string;
  readonly eventId: string;
  readonly eventType: string;
  /** The schema version of `data` (after upcasting: the current one). */
  readonly eventVersion: number;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly occurredAt: string;
  readonly tenantId: string | null;
  readonly actorId: string | null;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly metadata: JsonObject;
  readonly data: JsonValue;
}

/** A link to an event in a correlation chain (the event that caused one, or one it caused). */
export interface EventLink {
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly version: number;
}

/** An event of an aggregate's timeline, with its cause and the events it caused. */
export interface TimelineEvent extends EventView {
  readonly cause: EventLink | null;
  readonly caused: readonly EventLink[];
}

export function eventView(stored: StoredEvent): EventView {
  const record = toEventRecord(stored.event);
  return {
    ...record,
    position: stored.position.toString(),
    streamId: stored.streamId,
    version: stored.streamVersion,
    storedAt: stored.storedAt.toISOString(),
  };
}
