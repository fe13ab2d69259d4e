import { deliver } from '../deliver.js';
import type { KeyedLanes } from '../keyed-lanes.js';
import { deadLetterFields, encodeEntry, type RetryEntry } from './redis-codec.js';
import type { OwnedPartition } from './redis-owned-partition.js';
import { RETRY_AGAIN, RETRY_DONE, TAKE_DUE_ALL } from './redis-scripts.js';
import type { RedisSubscriptionInit } from './redis-subscription.js';

/** A taken retry stays hidden this long; if its member dies, the next owner runs it after that. */
const RETRY_VISIBILITY_MS = 60_000;

/** What the retry loop uses of its subscription. */
export interface RedisRetryLoopHost {
  readonly init: RedisSubscriptionInit;
  readonly lanes: KeyedLanes;
  readonly owned: ReadonlyMap<number, OwnedPartition>;
  running(): boolean;
  /** Runs `work` counted as busy on the partition; a Redis error is reported and the partition rescanned. */
  track(state: OwnedPartition, work: () => Promise<void>): Promise<void>;
  report(error: unknown): void;
}

/**
 * The retry side of a Redis subscription: failed entries wait in a per-partition sorted set until
 * due; the loop takes them, runs them again, and on the last success or dead letter releases the
 * aggregate's park list.
 */
export class RedisRetryLoop {
  readonly #host: RedisRetryLoopHost;
  #wake: (() => void) | undefined;

  constructor(host: RedisRetryLoopHost) {
    this.#host = host;
  }

  get #group(): string {
    return this.#host.init.options.group;
  }

  /** Polls now rather than at the next interval. */
  wake(): void {
    this.#wake?.();
  }

  /** Takes due retries of the ready partitions every `retryPollMs` (or when woken) and runs them in their aggregates' lanes, until the subscription stops. */
  async run(): Promise<void> {
    while (this.#host.running()) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, this.#host.init.retryPollMs);
      });
      // One call for every partition we own, rather than a round trip per partition per poll.
      const polled = [...this.#host.owned.values()].filter((state) => state.active && state.ready);
      if (!this.#host.running() || polled.length === 0) continue;
      try {
        const now = Date.now();
        const keys = polled.map((state) => this.#host.init.keys.retry(this.#group, state.partition));
        const due = (await TAKE_DUE_ALL.run(this.#host.init.redis, keys, [
          now,
          now + RETRY_VISIBILITY_MS,
          100,
        ])) as string[][];
        const late: [string, string][] = [];
        polled.forEach((state, index) => {
          for (const raw of due[index] ?? []) {
            // Revoked while the call was in flight: make the entry due again for the next owner.
            if (!state.active) {
              late.push([keys[index]!, raw]);
              continue;
            }
            state.taken.add(raw);
            const entry = JSON.parse(raw) as RetryEntry;
            void this.#host.lanes
              .push(entry.key, () => this.#host.track(state, () => this.#handle(state, raw, entry)), state.revoked)
              .finally(() => state.taken.delete(raw));
          }
        });
        if (late.length > 0) {
          const pipeline = this.#host.init.redis.pipeline();
          for (const [key, raw] of late) pipeline.zadd(key, 'XX', Date.now(), raw);
          await pipeline.exec();
        }
      } catch (error) {
        this.#host.report(error);
      }
    }
  }

  async #handle(state: OwnedPartition, raw: string, entry: RetryEntry): Promise<void> {
    const { redis, keys } = this.#host.init;
    const retryKey = keys.retry(this.#group, state.partition);
    const outcome = await deliver({
      system: 'redis',
      registry: this.#host.init.registry,
      handler: this.#host.init.handler,
      options: this.#host.init.options,
      body: entry.body,
      headers: entry.headers,
      attempt: entry.attempt,
    });
    if (outcome.kind === 'retry') {
      const next = encodeEntry({ ...entry, attempt: entry.attempt + 1, nonce: undefined as never });
      await RETRY_AGAIN.run(redis, [retryKey], [raw, Date.now() + outcome.delayMs, next]);
      return;
    }
    const doneKeys = [
      retryKey,
      keys.parked(this.#group, state.partition),
      keys.park(this.#group, state.partition, entry.key),
      keys.deadLetters(this.#group),
    ];
    const dead = outcome.kind === 'dead-letter' ? deadLetterFields(this.#group, outcome, entry) : [];
    const result = await RETRY_DONE.run(redis, doneKeys, [
      raw,
      entry.replay ? '1' : '0',
      Date.now(),
      entry.key,
      ...dead,
    ]);
    if (result === 0) state.parked.delete(entry.key);
    if (result === 1) this.#wake?.();
  }
}
