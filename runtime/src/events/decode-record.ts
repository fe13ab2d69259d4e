import { decodeEvent, type DomainEvent, type EventClass, type EventInit } from './domain-event.js';
import type { EventRecord } from './event-record.js';
import type { EventRegistry } from './event-registry.js';
import { ImmutableDate } from './immutable.js';

/**
 * `EventRegistry.decode`/`decodeOwned` with the record's `occurredAt` already as epoch
 * milliseconds (it must be the instant `record.occurredAt` names): for stores that read the time
 * from a column and would otherwise write it as ISO text only for the registry to parse it again.
 * Upcasting, validation and errors are the registry's; with `owned`, the record is handed over as
 * `decodeOwned` describes.
 */
export function decodeRecordAt(
  registry: EventRegistry,
  record: EventRecord,
  occurredAt: number,
  owned: boolean,
): DomainEvent {
  const { cls, data } = registry.upcast(record);
  return decodeEvent(
    cls,
    data,
    {
      eventId: record.eventId,
      aggregateId: record.aggregateId,
      aggregateType: record.aggregateType,
      aggregateVersion: record.aggregateVersion,
      occurredAt: new ImmutableDate(occurredAt),
      tenantId: record.tenantId ?? undefined,
      actorId: record.actorId ?? undefined,
      correlationId: record.correlationId,
      causationId: record.causationId ?? undefined,
      metadata: record.metadata,
    },
    owned,
    record.eventVersion === cls.eventVersion,
  );
}

/**
 * The event of a stored row whose type is at its current version (most rows), decoded straight
 * into the class: without the record, the location and the upcast result that the registry's path
 * builds, which would make the same {@link decodeEvent} call. Undefined for other versions, for
 * unknown types and when anything fails here (a text `payload` or `envelope` cannot parse, a
 * payload the schema refuses): the caller then decodes the row again the general way, which fails
 * as it always has. `payload` and `envelope` read the payload and the envelope from `row`; pass
 * functions made once, not per row.
 *
 * @example
 * ```ts
 * const event = decodeAtCurrentVersion(registry, row.type, row.version, row, (r) => JSON.parse(r.data), envelopeOf);
 * if (event === undefined) return registry.decodeOwned(recordOf(row));
 * ```
 */
export function decodeAtCurrentVersion<R>(
  registry: EventRegistry,
  eventType: string,
  eventVersion: number,
  row: R,
  payload: (row: R) => unknown,
  envelope: (row: R) => EventInit,
): DomainEvent | undefined {
  const cls = currentClass(registry, eventType, eventVersion);
  if (cls === undefined) return undefined;
  try {
    return decodeEvent(cls, payload(row), envelope(row), true, true);
  } catch {
    return undefined; // decoded again by the caller
  }
}

/**
 * The class of `eventType` when a record stored under that name (or an alias) at `eventVersion`
 * needs no upcasting, its version being the class's current one: its payload can go straight to
 * {@link decodeEvent}, as `registry.upcast` would hand it on. Undefined for other versions and for
 * unknown types, which take the registry's path with its errors.
 */
function currentClass(registry: EventRegistry, eventType: string, eventVersion: number): EventClass | undefined {
  // Feed pages hold runs of one type: each registry's last answer is kept (a registry never
  // changes), weakly, so that a registry no longer used elsewhere is not kept alive by it.
  let last = lastAnswers.get(registry);
  if (last === undefined || eventType !== last.eventType) {
    last = { eventType, cls: registry.has(eventType) ? registry.get(eventType) : undefined };
    lastAnswers.set(registry, last);
  }
  const { cls } = last;
  return cls !== undefined && cls.eventVersion === eventVersion ? cls : undefined;
}
const lastAnswers = new WeakMap<EventRegistry, { readonly eventType: string; readonly cls: EventClass | undefined }>();
