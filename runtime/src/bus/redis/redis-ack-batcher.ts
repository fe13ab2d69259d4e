import type { Redis } from 'ioredis';

/** Called once an entry's XACK is done: without an argument on success, with the error if it failed. */
export type AckCallback = (error?: unknown) => void;

/**
 * Collects XACKs per stream and sends them together on the next turn of the event loop, one XACK
 * per stream, all in a single pipeline (one write, one round trip).
 */
export class AckBatcher {
  readonly #pending = new Map<string, { ids: string[]; callbacks: AckCallback[] }>();
  #scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly group: string,
  ) {}

  /** Queues the entry's XACK; `done` runs once it completed or failed (the entry is then redelivered). */
  ack(stream: string, id: string, done: AckCallback): void {
    let batch = this.#pending.get(stream);
    if (!batch) this.#pending.set(stream, (batch = { ids: [], callbacks: [] }));
    batch.ids.push(id);
    batch.callbacks.push(done);
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
    for (const [stream, { ids }] of batches) pipeline.xack(stream, this.group, ...ids);
    const settle = (errorOf: (index: number) => unknown) =>
      batches.forEach(([, { callbacks }], index) => {
        const error = errorOf(index);
        for (const done of callbacks) done(error ?? undefined);
      });
    pipeline.exec().then(
      (results) => settle((index) => (results ? results[index]?.[0] : new Error('XACK pipeline was discarded'))),
      (error: unknown) => settle(() => error),
    );
  }
}
