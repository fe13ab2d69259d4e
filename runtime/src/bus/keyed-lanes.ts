/**
 * Runs tasks one at a time per key (an aggregate's messages stay in order) and up to
 * `concurrency` keys at once. A task whose `isCancelled()` is true when its turn comes is skipped
 * (its message stays unacknowledged and is redelivered), which is how a stopping consumer gives
 * back messages it has read but not started.
 */
export class KeyedLanes {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #waiting: (() => void)[] = [];
  readonly #running = new Set<Promise<void>>();
  #slots: number;

  constructor(concurrency: number) {
    this.#slots = concurrency;
  }

  /** Tasks started and not yet finished. */
  get running(): number {
    return this.#running.size;
  }

  /** Queues `task` behind the key's earlier tasks. Resolves when it ran or was skipped; never rejects. */
  push(key: string, task: () => Promise<void>, isCancelled: () => boolean = () => false): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (isCancelled()) return;
      await this.#acquire();
      try {
        if (isCancelled()) return;
        const run = task().catch(() => undefined);
        this.#running.add(run);
        await run;
        this.#running.delete(run);
      } finally {
        this.#release();
      }
    });
    this.#tails.set(key, next);
    void next.then(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
    return next;
  }

  /** Resolves when every task started so far has finished, or after `timeoutMs`; says which. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.allSettled([...this.#running]), new Promise((r) => (timer = setTimeout(r, left)))]);
      clearTimeout(timer);
    }
    return true;
  }

  async #acquire(): Promise<void> {
    if (this.#slots > 0) {
      this.#slots--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#slots++;
  }
}
