import type { EventStore, ReadAllOptions, StoredEvent } from './event-store.js';
import { UndecodableEventError } from './undecodable-event-error.js';

/**
 * Internal: a store that can hand out one page of its feed at once, as an array, implements this
 * symbol. Reading a page through `readAll`'s async iterator costs a promise round per event
 * (0.2-0.8 µs on a busy machine), as much as decoding the event; subscriptions read whole pages.
 * Returns undefined when it cannot serve the request in one go (the caller then uses `readAll`).
 */
export const readFeedPage = Symbol('eventsmith.readFeedPage');

/** What a {@link readFeedPage} method returns: the events, and the error that ended the page early. */
export interface FeedPage {
  readonly events: StoredEvent[];
  readonly error?: unknown;
}

interface FeedPageReader {
  [readFeedPage](options: ReadAllOptions): FeedPage | undefined;
}

/**
 * The events `store.readAll(options)` yields, up to `options.limit`, as an array. An event the
 * store cannot decode ends the page if events come before it; if it is the first, its
 * {@link UndecodableEventError} is thrown. Any other error is thrown.
 */
export async function readPage(store: EventStore, options: ReadAllOptions): Promise<StoredEvent[]> {
  const page = (store as Partial<FeedPageReader>)[readFeedPage]?.(options);
  if (page) {
    if (page.error === undefined) return page.events;
    if (page.events.length > 0 && page.error instanceof UndecodableEventError) return page.events;
    throw page.error;
  }
  const batch: StoredEvent[] = [];
  try {
    for await (const stored of store.readAll(options)) batch.push(stored);
  } catch (error) {
    // An undecodable event ends the page; the next read starts at it and reports it at once.
    if (batch.length > 0 && error instanceof UndecodableEventError) return batch;
    throw error;
  }
  return batch;
}
