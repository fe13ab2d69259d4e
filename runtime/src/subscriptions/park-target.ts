import { toEventRecord } from '../events/event-record.js';
import type { StoredEvent } from '../store/event-store.js';
import type { DeadLetterEntry } from './dead-letter-queue.js';

/** What a dead-letter entry records about the event. */
export type ParkTarget = Pick<
  DeadLetterEntry,
  'eventId' | 'eventType' | 'streamId' | 'position' | 'storedAt' | 'record'
>;

export function parkTarget(stored: StoredEvent): ParkTarget {
  const { event } = stored;
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    streamId: stored.streamId,
    position: stored.position,
    storedAt: stored.storedAt,
    record: toEventRecord(event),
  };
}
