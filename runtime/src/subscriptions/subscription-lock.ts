/** A held lock on one subscription name. */
export interface LockHandle {
  /** False once the lock is lost (lease expired and taken, connection dropped) or released. */
  readonly held: boolean;
  release(): Promise<void>;
}

/**
 * Makes sure only one process runs a subscription at a time. The manager calls `tryAcquire`
 * before it processes anything and keeps retrying while another process holds the lock; when the
 * holder dies, its lock frees up (connection closed, or lease expired) and a standby takes over.
 *
 * Implementations: {@link InMemorySubscriptionLock} (one process), `SqlLeaseLock` (any SQL
 * database), `PostgresAdvisoryLock`.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters, lock: new PostgresAdvisoryLock(db) });
 * ```
 */
export interface SubscriptionLock {
  /** Tries once, without waiting: a handle if the lock is now ours, `undefined` if someone else holds it. */
  tryAcquire(name: string): Promise<LockHandle | undefined>;
}

/**
 * A lock inside one process. Share one instance between managers that must not run the same
 * subscription at once; each manager gets its own by default.
 *
 * @example
 * ```ts
 * const lock = new InMemorySubscriptionLock();
 * const a = new SubscriptionManager({ store, lock });
 * const b = new SubscriptionManager({ store, lock }); // standby for a's subscriptions
 * ```
 */
export class InMemorySubscriptionLock implements SubscriptionLock {
  readonly #held = new Set<string>();

  async tryAcquire(name: string): Promise<LockHandle | undefined> {
    if (this.#held.has(name)) return undefined;
    this.#held.add(name);
    let held = true;
    return {
      get held() {
        return held;
      },
      release: async () => {
        if (!held) return;
        held = false;
        this.#held.delete(name);
      },
    };
  }
}
