import { AsyncLocalStorage } from 'node:async_hooks';
import { EventStoreClosedError, InvalidArgumentError } from '../errors.js';

/** A `transaction()` a gate accepted, while it runs; `outer` is the one it was started in, if any. */
interface Accepted {
  readonly gate: StoreGate;
  running: boolean;
  readonly outer: Accepted | undefined;
}

/** The accepted transactions the current code runs in (innermost first, through `outer`). */
const accepted = new AsyncLocalStorage<Accepted>();

/** The gate of each store's database handle (`store.db`), for code handed only that handle. */
const databaseGates = new WeakMap<object, StoreGate>();

/**
 * The gate of the store whose database handle `db` is (its `db`), if any. Snapshot stores are made
 * from `store.db`, not from the store: through this gate their operations are refused with
 * {@link EventStoreClosedError} once the store's `close()` has begun (instead of failing with the
 * driver's error about a destroyed connection), and `close()` waits for the ones in progress.
 */
export function gateOfDatabase(db: object): StoreGate | undefined {
  return databaseGates.get(db);
}

/**
 * What lets a store close cleanly: the operations in progress (appends, reads, each page of an
 * iteration, transactions) are counted, and once `close()` has begun new ones are refused with
 * {@link EventStoreClosedError}. A store's `close()` waits for the ones already accepted
 * (including appends still queued for a group commit) before it shuts its connections, so none
 * of them runs on a pool that is already shut.
 *
 * A transaction accepted before `close()` runs to its end: what its function does through the
 * store (reads beside it, say) is accepted too until it returns, and `close()` waits for that as
 * well. `close()` called from inside it is refused, as it would wait for itself.
 */
export class StoreGate {
  readonly #storeId: string;
  readonly #running = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  /** `db`: the store's database handle, whose other users ({@link gateOfDatabase}) this gate covers too. */
  constructor(storeId: string, db?: object) {
    this.#storeId = storeId;
    if (db) databaseGates.set(db, this);
  }

  /** Runs `operation`, or refuses it once `close()` has begun; `close()` waits for it. */
  run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closing && !this.#inside()) return Promise.reject(new EventStoreClosedError(this.#storeId));
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

  /**
   * {@link run} for a transaction: until `operation` settles, operations started from inside it
   * are accepted even once `close()` has begun, and `close()` called from inside it is refused.
   */
  transaction<T>(operation: () => Promise<T>): Promise<T> {
    return this.run(() => {
      const self: Accepted = { gate: this, running: true, outer: accepted.getStore() };
      const end = () => void (self.running = false);
      const running = accepted.run(self, operation);
      running.then(end, end);
      return running;
    });
  }

  /**
   * `pages` (an iteration that reads one page per step) with each step run as an operation of
   * this gate: `close()` waits for a page being read, never for the iteration (its consumer may
   * abandon it), and the next step once `close()` has begun is refused.
   */
  async *pages<T>(pages: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = pages[Symbol.asyncIterator]();
    try {
      for (;;) {
        const step = await this.run(() => iterator.next());
        if (step.done) return;
        yield step.value;
      }
    } finally {
      await iterator.return?.();
    }
  }

  /** Throws {@link EventStoreClosedError} once `close()` has begun (for a synchronous read). */
  check(): void {
    if (this.#closing && !this.#inside()) throw new EventStoreClosedError(this.#storeId);
  }

  /**
   * Refuses new operations, waits for the running ones, then runs `shut` (once: a second
   * `close()` waits for the first). Called inside a transaction of this gate, it is refused with
   * {@link InvalidArgumentError} and changes nothing: it would wait for that transaction forever.
   */
  close(shut: () => Promise<void>): Promise<void> {
    if (this.#inside()) {
      return Promise.reject(
        new InvalidArgumentError(
          `close() of event store "${this.#storeId}" was called inside one of its transactions, and it waits for ` +
            'running transactions to finish: call it once transaction() has returned.',
        ),
      );
    }
    this.#closing ??= (async () => {
      while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
      await shut();
    })();
    return this.#closing;
  }

  /** Whether the calling code runs inside a transaction of this gate that has not ended. */
  #inside(): boolean {
    for (let t = accepted.getStore(); t !== undefined; t = t.outer) if (t.gate === this && t.running) return true;
    return false;
  }
}
