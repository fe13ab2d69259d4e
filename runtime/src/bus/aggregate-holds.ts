import { randomUUID } from 'node:crypto';

/**
 * Keeps per-aggregate order while a message is being retried through a delay queue or topic.
 *
 * When a handler fails, the adapter parks the message in a delay destination and acknowledges the
 * original, so other aggregates keep flowing. Later messages of the *same* aggregate must not
 * overtake it: while an aggregate has parked messages, every newer message of that aggregate is
 * parked too, behind them, and a message coming back from the delay destination is handled only
 * when it is the oldest parked one of its aggregate (otherwise it is parked again).
 *
 * The state lives in the consuming process. It holds while one process owns the aggregate's
 * partition; after a failover the new owner starts empty, so a message still parked at that
 * moment may be overtaken by a newer one of its aggregate. Adapters document this limit.
 *
 * @example
 * ```ts
 * const holds = new AggregateHolds();
 * const decision = holds.admit(key, tokenFromHeaders);
 * if (decision.action === 'park') await park(message, decision.token);
 * else {
 *   const ok = await handle(message);
 *   if (ok) holds.done(key, decision.token);
 *   else await park(message, holds.retry(key, decision.token));
 * }
 * ```
 */
export class AggregateHolds {
  /** Parked message tokens per aggregate key, oldest first. */
  readonly #parked = new Map<string, string[]>();

  /** How many aggregates currently have parked messages. */
  get size(): number {
    return this.#parked.size;
  }

  /** Whether messages of this aggregate are parked. */
  isHeld(key: string): boolean {
    return this.#parked.has(key);
  }

  /**
   * Decides what to do with an arriving message of aggregate `key`. `token` is the hold token the
   * message carries when it comes back from the delay destination (undefined for a fresh one).
   *
   * - `handle`: run the handler now; afterwards call {@link done} or {@link retry} with `token`.
   * - `park`: send it to the delay destination carrying `token`, without running the handler and
   *   without counting an attempt.
   */
  admit(key: string, token: string | undefined): { action: 'handle' | 'park'; token: string | undefined } {
    const queue = this.#parked.get(key);
    if (!queue) return { action: 'handle', token };
    if (token !== undefined) {
      const index = queue.indexOf(token);
      if (index === 0) return { action: 'handle', token };
      if (index > 0) return { action: 'park', token };
      // A token this process never issued (parked before a failover): it is older than anything
      // parked here since, so let it through.
      return { action: 'handle', token: undefined };
    }
    const fresh = randomUUID();
    queue.push(fresh);
    return { action: 'park', token: fresh };
  }

  /**
   * The message was handled or dead-lettered: release it, so the next parked message of its
   * aggregate (if any) can run when it comes back.
   */
  done(key: string, token: string | undefined): void {
    if (token === undefined) return;
    const queue = this.#parked.get(key);
    if (!queue || queue[0] !== token) return;
    queue.shift();
    if (queue.length === 0) this.#parked.delete(key);
  }

  /**
   * The handler failed and the message goes back to the delay destination. Returns the token it
   * must carry; it stays the oldest parked message of its aggregate.
   */
  retry(key: string, token: string | undefined): string {
    const queue = this.#parked.get(key);
    if (token !== undefined && queue?.[0] === token) return token;
    const fresh = randomUUID();
    if (queue) queue.unshift(fresh);
    else this.#parked.set(key, [fresh]);
    return fresh;
  }

  /** Drops one parked token wherever it is (its message could not be parked after all). */
  forget(key: string, token: string): void {
    const queue = this.#parked.get(key);
    if (!queue) return;
    const index = queue.indexOf(token);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.#parked.delete(key);
  }

  /** Forgets everything (the process lost ownership of its partitions). */
  clear(): void {
    this.#parked.clear();
  }
}
