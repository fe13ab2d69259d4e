import { decodeEvent, type DomainEvent } from './domain-event.js';
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
