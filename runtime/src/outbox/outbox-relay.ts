import { randomUUID } from 'node:crypto';
import type { EventPublisher } from '../bus/event-bus.js';
import { backoffDelay, retryPolicy, sleep, type RetryPolicy } from '../retry/index.js';
import { describeError } from '../subscriptions/dead-letter-queue.js';
import type { OutboxStore } from './outbox-store.js';

export interface OutboxRelayOptions {
  /** Rows claimed and published per round. Default 100. */
  readonly batchSize?: number;
  /** Wait between polls when the outbox is empty. Default 500 ms. */
  readonly pollIntervalMs?: number;
  /** How long a claim lasts; another relay takes the rows over after it if this one died. Default 30 s. */
  readonly leaseMs?: number;
  /**
   * Backoff of rows whose publish failed (`maxAttempts` is ignored: rows stay pending until the
   * publisher is back). Default: 200 ms doubling to 30 s, with jitter.
   */
  readonly retry?: Partial<Omit<RetryPolicy, 'maxAttempts'>>;
  /** This relay's identity in claims. Default: pid plus a random id. */
  readonly owner?: string;
  /** Delete published rows older than this, checked every `cleanupEveryMs`. Default: keep them. */
  readonly retainPublishedMs?: number;
  readonly cleanupEveryMs?: number;
  /** Called when a publish fails (for logging). */
  readonly onError?: (error: unknown, rows: number) => void;
}

/**
 * Publishes outbox rows to an `EventPublisher` (a bus) in the order they were written, per
 * aggregate. Several relays may run: claims keep them from publishing the same row twice in
 * normal operation. A publisher that is down leaves the rows pending (with backoff) until it
 * comes back. Delivery is at least once: a relay that dies after publishing but before marking
 * its rows lets another relay publish them again after the lease.
 *
 * @example
 * ```ts
 * const relay = new OutboxRelay(new SqlOutboxStore(store.db), bus, { retainPublishedMs: 86_400_000 });
 * relay.start();
 * // ...
 * await relay.stop();
 * ```
 */
export class OutboxRelay {
  readonly owner: string;
  readonly #outbox: OutboxStore;
  readonly #publisher: EventPublisher;
  readonly #batchSize: number;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #policy: RetryPolicy;
  readonly #options: OutboxRelayOptions;
  #loop: Promise<void> | undefined;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  #published = 0;
  #failures = 0;
  #lastCleanup = 0;

  constructor(outbox: OutboxStore, publisher: EventPublisher, options: OutboxRelayOptions = {}) {
    this.#outbox = outbox;
    this.#publisher = publisher;
    this.#options = options;
    this.owner = options.owner ?? `relay-${process.pid}-${randomUUID()}`;
    this.#batchSize = options.batchSize ?? 100;
    this.#pollMs = options.pollIntervalMs ?? 500;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#policy = retryPolicy({ initialDelayMs: 200, maxDelayMs: 30_000, ...options.retry, maxAttempts: 1 });
  }

  /** Rows this relay has published since it was created. */
  get published(): number {
    return this.#published;
  }

  /** Publish attempts that failed since it was created. */
  get failures(): number {
    return this.#failures;
  }

  start(): void {
    if (this.#loop) return;
    this.#stop = new AbortController();
    this.#loop = this.#run().finally(() => (this.#loop = undefined));
  }

  /** Finishes the round in flight, then stops. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
  }

  /** Publish now instead of at the next poll (call after appending). */
  notify(): void {
    this.#wake?.();
  }

  /**
   * Claims and publishes one batch. Returns how many rows were published (0 when there was
   * nothing to do or the publish failed).
   */
  async runOnce(): Promise<number> {
    const messages = await this.#outbox.claim(this.owner, { limit: this.#batchSize, leaseMs: this.#leaseMs });
    if (messages.length === 0) return 0;
    const ids = messages.map((m) => m.id);
    try {
      await this.#publisher.publish(messages.map((m) => m.record));
    } catch (error) {
      this.#failures++;
      const attempts = Math.max(...messages.map((m) => m.attempts)) + 1;
      const retryAt = new Date(Date.now() + backoffDelay(this.#policy, attempts));
      await this.#outbox.markFailed(ids, this.owner, describeError(error).message, retryAt);
      this.#options.onError?.(error, messages.length);
      return 0;
    }
    await this.#outbox.markPublished(ids, this.owner);
    this.#published += messages.length;
    return messages.length;
  }

  /** Publishes until nothing is claimable. Returns the number published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      if (n === 0) return total;
      total += n;
    }
  }

  async #run(): Promise<void> {
    let idleFailures = 0;
    while (!this.#stop.signal.aborted) {
      let published = 0;
      try {
        published = await this.runOnce();
        await this.#cleanup();
        idleFailures = 0;
      } catch (error) {
        // The outbox itself (the database) failed: back off and try again.
        this.#options.onError?.(error, 0);
        await sleep(backoffDelay(this.#policy, ++idleFailures), this.#stop.signal);
        continue;
      }
      if (published > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #cleanup(): Promise<void> {
    const retain = this.#options.retainPublishedMs;
    if (retain === undefined) return;
    const every = this.#options.cleanupEveryMs ?? 60_000;
    if (Date.now() - this.#lastCleanup < every) return;
    this.#lastCleanup = Date.now();
    await this.#outbox.cleanupPublished({ olderThan: new Date(Date.now() - retain) });
  }
}
