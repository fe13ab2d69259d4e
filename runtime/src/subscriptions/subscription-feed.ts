import type { EventStore, StoredEvent } from '../store/event-store.js';
import { readPage } from '../store/feed-page.js';
import type { Position } from '../store/position.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';
import type { SubscriptionOptions } from './subscription-options.js';

/** A page read ahead, after `after`. */
export interface PrefetchedPage {
  readonly after: Position;
  readonly page: Promise<StoredEvent[]>;
}

/** What holds a run's read-ahead page (see {@link SubscriptionFeed.next}). */
export interface PrefetchHolder {
  prefetched: PrefetchedPage | undefined;
}

/** How far a subscription is behind the store. */
export interface SubscriptionLag {
  /** Events after the position, up to `limit`. */
  readonly events: number;
  /** True when there are more than `limit`. */
  readonly capped: boolean;
  /** When the oldest of them was stored. */
  readonly oldest: Date | undefined;
}

/**
 * The events a subscription reads from the store, with its filters: pages of `batchSize` after a
 * position, read ahead during catch-up, and the lag behind the store.
 */
export class SubscriptionFeed {
  readonly #store: EventStore;
  readonly #options: SubscriptionOptions;
  readonly #batchSize: number;

  constructor(store: EventStore, options: SubscriptionOptions, batchSize: number) {
    this.#store = store;
    this.#options = options;
    this.#batchSize = batchSize;
  }

  /** A page after `after`; an undecodable event ends a page that has events before it, else it is thrown. */
  async read(after: Position | null): Promise<StoredEvent[]> {
    return readPage(this.#store, { ...this.#filters(), after, limit: this.#batchSize });
  }

  /** Starts reading the page after `after` into `holder`, for {@link next}. */
  prefetch(holder: PrefetchHolder, after: Position): void {
    const page = this.read(after);
    page.catch(() => undefined); // a failed read-ahead is simply read again
    holder.prefetched = { after, page };
  }

  /** The page after `position()`: the read-ahead one when it starts there, else a fresh read. */
  async next(holder: PrefetchHolder, position: () => Position | null): Promise<StoredEvent[]> {
    const prefetched = holder.prefetched;
    holder.prefetched = undefined;
    const from = position();
    if (prefetched && from && prefetched.after.equals(from)) {
      try {
        return await prefetched.page;
      } catch {
        // fall through to a fresh read
      }
    }
    return this.read(position());
  }

  /** Counts the events after `position`, up to `limit` (undecodable ones included). */
  async lag(position: Position | null, limit: number): Promise<SubscriptionLag> {
    let events = 0;
    let oldest: Date | undefined;
    let after = position;
    while (events <= limit) {
      try {
        for await (const stored of this.#store.readAll({ ...this.#filters(), after, limit: limit + 1 - events })) {
          oldest ??= stored.storedAt;
          events++;
        }
        break;
      } catch (error) {
        if (!(error instanceof UndecodableEventError)) throw error;
        oldest ??= error.storedAt; // it counts as lag too; count on after it
        events++;
        after = error.position;
      }
    }
    const capped = events > limit;
    return { events: capped ? limit : events, capped, oldest };
  }

  #filters() {
    const { eventTypes, aggregateTypes, tenantId } = this.#options;
    return {
      ...(eventTypes ? { eventTypes } : {}),
      ...(aggregateTypes ? { aggregateTypes } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
    };
  }
}
