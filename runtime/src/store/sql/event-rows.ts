import { decodeRecordAt } from '../../events/decode-record.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import type { ReadAllOptions, StoredEvent } from '../event-store.js';
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
