import { checkTenantId } from './tenant-view.js';
import { sameTenantView } from '../tenancy/view-tenant.js';
import type { HeldLease } from './subscription-errors.js';
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
  /**
   * A view whose locks are `tenantId`'s own: a name locked there does not block the same name on
   * the lock itself or on another tenant's view. Needed by managers on a tenant view (every
   * eventsmith lock has it).
   *
   * @example
   * ```ts
   * const manager = new SubscriptionManager({ store: store.forTenant('acme'), lock }); // uses lock.forTenant('acme')
   * ```
   */
  forTenant?(tenantId: string): SubscriptionLock;
  /**
   * A view that takes the same locks under an owner marked as a rebuild's, so other processes
   * can tell a rebuild from a process running the subscription (`SqlLeaseLock` has it). A
   * rebuild outside the process that runs the projection takes its lock through it.
   */
  forRebuild?(): SubscriptionLock;
  /** Who holds `name`'s lock and until when, if the lock can tell; undefined when it is free. */
  holder?(name: string): Promise<HeldLease | undefined>;
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
  /** Held locks of every view, keyed by JSON [tenant or '', name]. */
  readonly #held: Set<string>;
  readonly #tenantId: string;

  constructor();
  /** @internal A tenant view over `held`. */
  constructor(held: Set<string>, tenantId: string);
  constructor(held?: Set<string>, tenantId?: string) {
    this.#held = held ?? new Set();
    this.#tenantId = tenantId ?? '';
  }

  async tryAcquire(name: string): Promise<LockHandle | undefined> {
    const key = JSON.stringify([this.#tenantId, name]);
    if (this.#held.has(key)) return undefined;
    this.#held.add(key);
    let held = true;
    return {
      get held() {
        return held;
      },
      release: async () => {
        if (!held) return;
        held = false;
        this.#held.delete(key);
      },
    };
  }

  forTenant(tenantId: string): InMemorySubscriptionLock {
    if (sameTenantView('subscription lock', this.#tenantId, checkTenantId(tenantId))) return this;
    return new InMemorySubscriptionLock(this.#held, checkTenantId(tenantId));
  }
}
