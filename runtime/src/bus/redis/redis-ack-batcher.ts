import type { Redis } from 'ioredis';

/** Collects XACKs per stream and sends them together on the next turn of the event loop. */
export class AckBatcher {
  readonly #pending = new Map<string, { ids: string[]; waiters: { resolve: () => void; reject: (e: unknown) => void }[] }>();
  #scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly group: string,
  ) {}

  /** Resolves once the entry is acknowledged; rejects if the XACK failed (the entry is then redelivered). */
  ack(stream: string, id: string): Promise<void> {
    let batch = this.#pending.get(stream);
    if (!batch) this.#pending.set(stream, (batch = { ids: [], waiters: [] }));
    batch.ids.push(id);
    const done = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
    return done;
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    for (const [stream, { ids, waiters }] of batches) {
      this.redis.xack(stream, this.group, ...ids).then(
        () => waiters.forEach((w) => w.resolve()),
        (error: unknown) => waiters.forEach((w) => w.reject(error)),
      );
    }
  }
}
