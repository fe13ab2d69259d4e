/**
 * Runs tasks one at a time per key (an aggregate's messages stay in order) and up to
 * `concurrency` keys at once. A task whose `isCancelled()` is true when its turn comes is skipped
 * (its message stays unacknowledged and is redelivered), which is how a stopping consumer gives
 * back messages it has read but not started.
 *
 * Keys take turns for the slots in the order they became runnable: a key that finishes a task and
 * has more queued goes to the back of the line, so a busy aggregate cannot starve the others.
 *
 * A task may finish synchronously by returning `undefined` instead of a promise: its slot is freed
 * at once, without a promise or a microtask per task.
 *
 * @example
 * ```ts
 * const lanes = new KeyedLanes(32);
 * void lanes.push(message.key, () => handle(message), () => stopping);
 * ```
 */
export class KeyedLanes {
  /** Queued tasks per key; the first one is running or waiting for a slot. */
  readonly #queues = new Map<string, LaneTask[]>();
  /** Keys whose head task waits for a slot, in arrival order. */
  readonly #waiting: string[] = [];
  #waitingHead = 0;
  readonly #running = new Set<Promise<void>>();
  #slots: number;

  constructor(concurrency: number) {
    this.#slots = concurrency;
  }

  /** Tasks started and not yet finished. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Queues `task` behind the key's earlier tasks. Resolves when it ran or was skipped; never
   * rejects. The task never starts synchronously inside `push`.
   */
  push(key: string, task: () => Promise<void> | void, isCancelled: () => boolean = notCancelled): Promise<void> {
    return new Promise<void>((resolve) => this.enqueue(key, task, isCancelled, () => resolve()));
  }

  /**
   * {@link push} without a promise, for hot paths: `settled(ran)` is called once the task ran
   * (`true`) or was skipped as cancelled (`false`).
   */
  enqueue(
    key: string,
    task: () => Promise<void> | void,
    isCancelled: () => boolean = notCancelled,
    settled: (ran: boolean) => void = ignore,
  ): void {
    const item: LaneTask = { task, isCancelled, settled };
    const queue = this.#queues.get(key);
    if (queue) {
      queue.push(item);
      return;
    }
    this.#queues.set(key, [item]);
    this.#waiting.push(key);
    if (!this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
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

  #pumpScheduled = false;

  /** Starts the head task of waiting keys while slots are free; skips cancelled ones without a slot. */
  #pump(): void {
    while (this.#slots > 0 && this.#waitingHead < this.#waiting.length) {
      const key = this.#waiting[this.#waitingHead++]!;
      const queue = this.#queues.get(key)!;
      const item = queue[0]!;
      if (item.isCancelled()) {
        this.#next(key, queue);
        item.settled(false);
        continue;
      }
      let started: Promise<void> | void;
      try {
        started = item.task();
      } catch {
        started = undefined;
      }
      if (started === undefined) {
        this.#next(key, queue);
        item.settled(true);
        continue;
      }
      this.#slots--;
      // Inline callbacks, not a named closure: this runs once per message.
      const run: Promise<void> = started.then(
        () => this.#done(key, queue, item, run),
        () => this.#done(key, queue, item, run),
      );
      this.#running.add(run);
    }
    if (this.#waitingHead === this.#waiting.length) {
      this.#waiting.length = 0;
      this.#waitingHead = 0;
    } else if (this.#waitingHead > 1024) {
      this.#waiting.splice(0, this.#waitingHead);
      this.#waitingHead = 0;
    }
  }

  /** The key's head task finished: free its slot and start what can run. */
  #done(key: string, queue: LaneTask[], item: LaneTask, run: Promise<void>): void {
    this.#running.delete(run);
    this.#slots++;
    this.#next(key, queue);
    item.settled(true);
    this.#pump();
  }

  /** Drops the key's head task; the key goes to the back of the line if it has more. */
  #next(key: string, queue: LaneTask[]): void {
    queue.shift();
    if (queue.length > 0) this.#waiting.push(key);
    else this.#queues.delete(key);
  }
}

interface LaneTask {
  readonly task: () => Promise<void> | void;
  readonly isCancelled: () => boolean;
  readonly settled: (ran: boolean) => void;
}

const notCancelled = () => false;
const ignore = () => undefined;
