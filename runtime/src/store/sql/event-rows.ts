import { decodeRecordAt } from '../../events/decode-record.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { parseIsoTime } from '../../events/iso-time.js';
import type { JsonObject, JsonValue } from '../../events/json.js';
import type { ReadAllOptions, StoredEvent } from '../event-store.js';
import { Position } from '../position.js';
import { decodeFeedEvent, type FeedEventLocation } from '../undecodable-event-error.js';

/** The columns every SQL store selects for an event, as its driver returns them. */
export interface EventRow {
  readonly stream_id: string;
  readonly version: number;
  readonly event_id: string;
  readonly event_type: string;
  readonly event_version: number;
  readonly aggregate_type: string;
  readonly aggregate_id: string;
  readonly tenant_id: string | null;
  readonly occurred_at: Date | string;
  readonly actor_id: string | null;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  /** Parsed JSON (PostgreSQL JSONB) or JSON text. */
  readonly metadata: unknown;
  readonly data: unknown;
  readonly stored_at: Date | string;
}

/** The event columns, in the order the stores select them. */
export const EVENT_COLUMNS = [
  'stream_id',
  'version',
  'event_id',
  'event_type',
  'event_version',
  'aggregate_type',
  'aggregate_id',
  'tenant_id',
  'occurred_at',
  'actor_id',
  'correlation_id',
  'causation_id',
  'metadata',
  'data',
  'stored_at',
] as const;

/**
 * Turns a row into the stored record it was written from. `jsonText` says whether the driver
 * returns JSON columns as text (SQLite, MariaDB) rather than parsed (PostgreSQL JSONB).
 */
export function recordFromRow(row: EventRow, jsonText: boolean): EventRecord {
  return {
    eventId: row.event_id,
    eventType: row.event_type,
    eventVersion: row.event_version,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    aggregateVersion: row.version,
    occurredAt: typeof row.occurred_at === 'string' ? row.occurred_at : row.occurred_at.toISOString(),
    tenantId: row.tenant_id,
    actorId: row.actor_id,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    metadata: (jsonText ? JSON.parse(row.metadata as string) : row.metadata) as JsonObject,
    data: (jsonText ? JSON.parse(row.data as string) : row.data) as JsonValue,
  };
}

/**
 * Decodes (and upcasts) a row into a {@link StoredEvent} at `position`. With `feed` (`readAll`), a
 * decoding failure is an {@link UndecodableEventError} carrying the position and the raw record.
 */
export function storedEventFromRow(
  registry: EventRegistry,
  storeId: string,
  row: EventRow,
  position: bigint,
  jsonText: boolean,
  feed = false,
): StoredEvent {
  const location = {
    streamId: row.stream_id,
    streamVersion: row.version,
    position: Position.of(storeId, position),
    storedAt: typeof row.stored_at === 'string' ? new Date(parseIsoTime(row.stored_at)) : row.stored_at,
  };
  return storedEventFromRecord(registry, recordFromRow(row, jsonText), location, feed);
}

/**
 * Decodes (and upcasts) a record a store has just built from a row into a {@link StoredEvent} at
 * `location`; the event takes ownership of the record's objects. With `feed` (`readAll`), a
 * decoding failure is an {@link UndecodableEventError} carrying the location and the record.
 */
export function storedEventFromRecord(
  registry: EventRegistry,
  record: EventRecord,
  location: FeedEventLocation,
  feed: boolean,
  /** The record's `occurredAt` as epoch milliseconds, when the store parsed the column into it. */
  occurredAt?: number,
): StoredEvent {
  const event = feed
    ? decodeFeedEvent(registry, record, location, true, occurredAt)
    : occurredAt !== undefined
      ? decodeRecordAt(registry, record, occurredAt, true)
      : registry.decodeOwned(record);
  return {
    event,
    streamId: location.streamId,
    streamVersion: location.streamVersion,
    position: location.position,
    storedAt: location.storedAt,
  };
}

/** A `readAll` request reduced to what the SQL needs. `none` means it can match nothing. */
export type FeedFilter =
  | { readonly none: true }
  | {
      readonly none: false;
      /** Stored type names to match: current names plus their aliases. */
      readonly eventTypes?: readonly string[];
      readonly aggregateTypes?: readonly string[];
      readonly tenantId?: string;
    };

/**
 * Normalises `readAll` filters the way the in-memory store applies them: event types match by
 * current name (so records stored under an alias match their new name), an empty list matches
 * nothing, and a tenant view never reads another tenant.
 */
export function feedFilter(
  registry: EventRegistry,
  options: ReadAllOptions,
  viewTenant: string | undefined,
): FeedFilter {
  const tenantId = options.tenantId ?? viewTenant;
  if (viewTenant !== undefined && tenantId !== viewTenant) return { none: true };
  let eventTypes: string[] | undefined;
  if (options.eventTypes) {
    const names = new Set<string>();
    for (const type of options.eventTypes) {
      if (!registry.has(type))
        names.add(type); // unknown to the registry: only records stored under that exact name
      else if (registry.resolveType(type) === type) for (const name of registry.typeNamesFor(type)) names.add(name);
    }
    if (names.size === 0) return { none: true };
    eventTypes = [...names].sort();
  }
  if (options.aggregateTypes && options.aggregateTypes.length === 0) return { none: true };
  return {
    none: false,
    ...(eventTypes ? { eventTypes } : {}),
    ...(options.aggregateTypes ? { aggregateTypes: [...new Set(options.aggregateTypes)].sort() } : {}),
    ...(tenantId !== undefined ? { tenantId } : {}),
  };
}

export { readLimit } from '../store-input.js';
