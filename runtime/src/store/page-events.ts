import { nextResult } from './plain-objects.js';

/**
 * The items of an iteration of pages, one by one, each turned by `decode` as it is asked for: what
 * `async function* () { for await (const page of pages) for (const row of page) yield decode(row); }`
 * gives, at less cost per item. An async generator's `yield` waits on the value and then on the
 * reader's turn (several promise jobs an item); here an item of a page already read is a promise
 * already settled. `MysqlEventStore.readStream` hands out its stream this way: its generator (over
 * `gate.pages`) against this, both decoding the same page of 1,000 rows already read, one process
 * alternating, 30 rounds of 100 reads, process CPU: 1.11 -> 0.93 µs per event (lower in 27/30;
 * the decode alone 0.78).
 *
 * It behaves as that generator does: nothing runs before the first `next()`, which calls `open`
 * (it may throw: the iteration then fails and ends) and then reads the pages; a `decode` or a page
 * that throws fails the `next()` that asked for it and ends the iteration; calls made while a page
 * is being read wait their turn, in order; `return()` (a `for await` left early) closes the pages.
 * `close` runs once when an iteration that was opened ends, fails or is left, after the pages are
 * closed and before the last `next()` or `return()` settles.
 */
export function pageEvents<R, T>(options: {
  readonly open: () => AsyncIterator<readonly R[]>;
  readonly decode: (row: R) => T;
  readonly close: () => void;
}): AsyncIterableIterator<T> {
  return new PageEvents(options.open, options.decode, options.close);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });
const ignore = () => undefined;

class PageEvents<R, T> implements AsyncIterableIterator<T> {
  readonly #open: () => AsyncIterator<readonly R[]>;
  readonly #decode: (row: R) => T;
  readonly #close: () => void;
  #pages: AsyncIterator<readonly R[]> | undefined;
  #rows: readonly R[] = [];
  #next = 0;
  #state: 'new' | 'open' | 'done' = 'new';
  /** Settles when the last call waiting its turn has: later calls wait for it (undefined: none waits). */
  #tail: Promise<unknown> | undefined;

  constructor(open: () => AsyncIterator<readonly R[]>, decode: (row: R) => T, close: () => void) {
    this.#open = open;
    this.#decode = decode;
    this.#close = close;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#tail === undefined && this.#next < this.#rows.length) {
      const row = this.#rows[this.#next++]!;
      try {
        return Promise.resolve(nextResult(this.#decode(row)));
      } catch (error) {
        return this.#inTurn(() => this.#fail(error));
      }
    }
    return this.#inTurn(() => this.#step());
  }

  return(): Promise<IteratorResult<T>> {
    return this.#inTurn(() => this.#end().then(() => DONE));
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    return this.#inTurn(() => this.#fail(error));
  }

  /** The next item: from the page in hand, else from the next page that has a row. */
  async #step(): Promise<IteratorResult<T>> {
    try {
      if (this.#next < this.#rows.length) return nextResult(this.#decode(this.#rows[this.#next++]!));
      if (this.#state === 'done') return DONE;
      if (this.#state === 'new') {
        this.#state = 'open';
        this.#pages = this.#open();
      }
      for (;;) {
        const page = await this.#pages!.next();
        if (page.done) break;
        if (page.value.length > 0) {
          this.#rows = page.value;
          this.#next = 1;
          return nextResult(this.#decode(page.value[0]!));
        }
      }
    } catch (error) {
      return this.#fail(error);
    }
    await this.#end();
    return DONE;
  }

  /** Ends the iteration, then rejects with `error`. */
  async #fail(error: unknown): Promise<never> {
    await this.#end();
    throw error;
  }

  /** Ends the iteration: closes the pages (a no-op once they ended), then runs `close` once if it was opened. */
  async #end(): Promise<void> {
    const state = this.#state;
    const pages = this.#pages;
    this.#state = 'done';
    this.#pages = undefined;
    this.#rows = [];
    this.#next = 0;
    if (state !== 'open') return;
    try {
      await pages?.return?.();
    } finally {
      this.#close();
    }
  }

  /**
   * `call` once every call before it has settled, as an async generator queues its calls. The
   * last call in line stops being the tail as it settles, before whoever awaits it resumes, so a
   * reader's next call takes the quick way again.
   */
  #inTurn<S>(call: () => Promise<S>): Promise<S> {
    const before = this.#tail;
    const result = (before ? before.then(call) : call()).finally(() => {
      if (this.#tail === tail) this.#tail = undefined;
    });
    const tail = result.then(ignore, ignore);
    this.#tail = tail;
    return result;
  }
}
