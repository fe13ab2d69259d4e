import { EventStoreClosedError } from '../errors.js';

/**
 * What lets a store close cleanly: the operations in progress (appends) are counted, and once
 * `close()` has begun new ones are refused with {@link EventStoreClosedError}. A store's
 * `close()` waits for the ones already accepted (including appends still queued for a group
 * commit) before it shuts its connections, so none of them runs on a pool that is already shut.
 */
export class StoreGate {
  readonly #storeId: string;
  readonly #running = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  constructor(storeId: string) {
    this.#storeId = storeId;
  }

  /** Runs `operation`, or refuses it once `close()` has begun; `close()` waits for it. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new EventStoreClosedError(this.#storeId));
    let running: Promise<T>;
    try {
      running = operation();
    } catch (error) {
      return Promise.reject(error);
    }
    this.#running.add(running);
    const done = () => void this.#running.delete(running);
    running.then(done, done);
    return running;
  }

  /** Throws {@link EventStoreClosedError} once `close()` has begun. */
  check(): void {
    if (this.#closing) throw new EventStoreClosedError(this.#storeId);
  }

  /**
   * Refuses new operations, waits for the running ones, then runs `shut` (once: a second
   * `close()` waits for the first).
   */
  close(shut: () => Promise<void>): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
      await shut();
    })();
    return this.#closing;
  }
}
