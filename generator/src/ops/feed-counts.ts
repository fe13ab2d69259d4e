import { UndecodableEventError, type EventStore, type Position } from '@eventsmith/runtime';

/**
 * The events of the feed after `position` (matching `eventTypes`), counted up to `limit`, and when
 * the oldest was stored: a subscription's lag. Undecodable events count too.
 */
export async function countAfter(
  store: EventStore,
  position: Position | null,
  eventTypes: readonly string[] | undefined,
  limit: number,
): Promise<{ events: number; capped: boolean; oldest: Date | undefined }> {
  let events = 0;
  let oldest: Date | undefined;
  let after = position;
  while (events <= limit) {
    try {
      for await (const stored of store.readAll({
        after,
        limit: limit + 1 - events,
        ...(eventTypes ? { eventTypes } : {}),
      })) {
        oldest ??= stored.storedAt;
        events++;
      }
      break;
    } catch (error) {
      if (!(error instanceof UndecodableEventError)) throw error;
      oldest ??= error.storedAt; // lag too: count on after it
      events++;
      after = error.position;
    }
  }
  return { events: Math.min(events, limit), capped: events > limit, oldest };
}

/**
 * The events (matching `eventTypes`) after `from` up to and including `to`, counted up to `limit`;
 * null when an undecodable event is in the way.
 */
export async function countBetween(
  store: EventStore,
  from: Position | null,
  to: Position,
  eventTypes: readonly string[] | undefined,
  limit: number,
): Promise<number | null> {
  let count = 0;
  try {
    for await (const stored of store.readAll({ after: from, limit, ...(eventTypes ? { eventTypes } : {}) })) {
      if (stored.position.isAfter(to)) break;
      count++;
    }
  } catch (error) {
    if (error instanceof UndecodableEventError) return null;
    throw error;
  }
  return count;
}
