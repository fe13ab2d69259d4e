import type { Redis } from 'ioredis';

/** What an XACK is for: a partition stream, or anything naming one (such as a subscription's partition state). */
export interface AckTarget {
  readonly stream: string;
}

/** Called once per target and flush: `error` is undefined when the XACK succeeded. */
export type AcksSettled<T extends AckTarget> = (target: T, ids: readonly string[], error: unknown) => void;

/**
 * Collects XACKs per target and sends them together on the next turn of the event loop, one XACK
 * per target, all in a single pipeline (one write, one round trip). The outcome is reported per
 * target and flush, so acknowledging an entry allocates nothing of its own.
 */
export class AckBatcher<T extends AckTarget> {
  readonly #pending = new Map<T, string[]>();
  #scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly group: string,
    private readonly settled: AcksSettled<T>,
  ) {}

  /** Queues the entry's XACK; `settled` reports it once it completed or failed (the entry is then redelivered). */
  ack(target: T, id: string): void {
    const ids = this.#pending.get(target);
    if (ids) ids.push(id);
    else this.#pending.set(target, [id]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    const pipeline = this.redis.pipeline();
    for (const [target, ids] of batches) pipeline.xack(target.stream, this.group, ...ids);
    const settle = (errorOf: (index: number) => unknown) =>
      batches.forEach(([target, ids], index) => this.settled(target, ids, errorOf(index) ?? undefined));
    pipeline.exec().then(
      (results) => settle((index) => (results ? results[index]?.[0] : new Error('XACK pipeline was discarded'))),
      (error: unknown) => settle(() => error),
    );
  }
}
