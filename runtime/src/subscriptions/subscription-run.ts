import type { Position } from '../store/position.js';
import type { LockHandle } from './subscription-lock.js';
import type { PrefetchedPage } from './subscription-feed.js';

/** A write refused because a forced stop fenced the run (its lock is given up, or being given up). */
export class Fenced {}

/** A write refused because the run no longer holds its lock (a lease that ran out and was taken). */
export class LockLost {}

/**
 * One start-to-stop of the loop. Every write of a run (checkpoint, dead-letter entry, the commit
 * of a transactional unit) goes through `enter`, one at a time. A forced stop enters too, writes
 * the progress not yet checkpointed, and fences the run: every later write is refused, so nothing
 * is written once the lock has been given up, while the handler it abandoned runs on.
 */
export class Run {
  stopping = false;
  fenced = false;
  failed = false;
  ended = false;
  readonly stopController = new AbortController();
  readonly forceController = new AbortController();
  lockHandle: LockHandle | undefined;
  /** Progress made outside a transaction, not yet checkpointed. */
  pending: Position | null = null;
  prefetched: PrefetchedPage | undefined;
  /** Settles once every lock release this run started has. */
  released: Promise<void> = Promise.resolve();
  forcing: Promise<void> | undefined;
  /** Settles once the loop has ended and its lock is released. */
  exited: Promise<void> = Promise.resolve();
  #writes: Promise<void> = Promise.resolve();

  /** Waits for the write in flight, then returns the function that ends this one; throws {@link Fenced} once fenced. */
  async enter(): Promise<() => void> {
    let leave!: () => void;
    const done = new Promise<void>((resolve) => (leave = resolve));
    const previous = this.#writes;
    this.#writes = previous.then(() => done);
    await previous;
    if (this.fenced) {
      leave();
      throw new Fenced();
    }
    return leave;
  }
}
