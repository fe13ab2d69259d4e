import type { Position } from '../store/position.js';
import { CheckpointConflictError } from './subscription-errors.js';
import { checkTenantId } from './tenant-view.js';
import { sameTenantView } from '../tenancy/view-tenant.js';

/** Where a subscription has got to: the position of the last event it finished with. */
export interface Checkpoint {
  /** The tenant of the view it was listed through; absent on the unscoped store's. */
  readonly tenantId?: string;
  readonly name: string;
  readonly position: Position;
  readonly updatedAt: Date;
}

export interface SaveCheckpointOptions {
  /**
   * Compare-and-set: save only if the stored position is exactly this (`null`: nothing stored yet),
   * otherwise throw {@link CheckpointConflictError}. The manager always passes it, so a second
   * process that runs the same subscription by mistake fails instead of double-applying a batch.
   */
  readonly expected?: Position | null;
  /**
   * The transaction to write in: a Kysely `Transaction` for SQL checkpoint stores, so that the
   * checkpoint commits together with a projection's rows. Ignored by the in-memory store.
   */
  readonly transaction?: unknown;
}

/**
 * Stores one position per subscription name. Checkpoints are **monotonic**: `save` never moves
 * one backwards (an older position is ignored); only `reset` does, on purpose.
 *
 * A tenant view (`forTenant(tenantId)`) keeps its own checkpoints: the same subscription name has
 * one position per tenant, and the store itself keeps those of subscriptions on the unscoped
 * event store. A `SubscriptionManager` on `store.forTenant(tenantId)` uses that tenant's view.
 *
 * @example
 * ```ts
 * const checkpoints = new InMemoryCheckpointStore();
 * await checkpoints.save('AccountSummary', stored.position);
 * const resumeAfter = await checkpoints.load('AccountSummary'); // Position | null
 * ```
 */
export interface CheckpointStore {
  /** True when checkpoints survive a restart (SQL stores). */
  readonly durable: boolean;
  /** True when `save` can join a transaction passed in `options.transaction`. */
  readonly transactional: boolean;
  /** The saved position, or `null` when the subscription has none. */
  load(name: string): Promise<Position | null>;
  /**
   * Moves the checkpoint forward to `position`. Returns false (and changes nothing) when the
   * stored position is already at or after it.
   */
  save(name: string, position: Position, options?: SaveCheckpointOptions): Promise<boolean>;
  /** Sets the checkpoint to `position`, backwards included; `null` deletes it (start over). */
  reset(name: string, position: Position | null, options?: { transaction?: unknown }): Promise<void>;
  /** Every checkpoint of this view, ordered by name. */
  list(): Promise<Checkpoint[]>;
  /**
   * A view with `tenantId`'s own checkpoints. Needed by managers on a tenant view (every eventsmith
   * checkpoint store has it).
   *
   * @example
   * ```ts
   * const position = await checkpoints.forTenant('acme').load('welcome-mail');
   * ```
   */
  forTenant?(tenantId: string): CheckpointStore;
}

/**
 * Checkpoints in process memory: for tests and for subscriptions that may start over after a restart.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, checkpoints: new InMemoryCheckpointStore() });
 * ```
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  readonly durable = false;
  readonly transactional = false;
  /** Every view's checkpoints, keyed by JSON [tenant or '', name]. */
  readonly #checkpoints: Map<string, Checkpoint>;
  readonly #tenantId: string | undefined;

  constructor();
  /** @internal A tenant view over `checkpoints`. */
  constructor(checkpoints: Map<string, Checkpoint>, tenantId: string);
  constructor(checkpoints?: Map<string, Checkpoint>, tenantId?: string) {
    this.#checkpoints = checkpoints ?? new Map();
    this.#tenantId = tenantId;
  }

  async load(name: string): Promise<Position | null> {
    return this.#checkpoints.get(this.#key(name))?.position ?? null;
  }

  async save(name: string, position: Position, options: SaveCheckpointOptions = {}): Promise<boolean> {
    const current = this.#checkpoints.get(this.#key(name))?.position ?? null;
    if (options.expected !== undefined && !samePosition(current, options.expected)) {
      throw new CheckpointConflictError(name, options.expected?.toString() ?? null, current?.toString() ?? null);
    }
    if (current && !position.isAfter(current)) return false;
    this.#set(name, position);
    return true;
  }

  async reset(name: string, position: Position | null): Promise<void> {
    if (position === null) this.#checkpoints.delete(this.#key(name));
    else this.#set(name, position);
  }

  async list(): Promise<Checkpoint[]> {
    return [...this.#checkpoints.values()]
      .filter((c) => c.tenantId === this.#tenantId)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  forTenant(tenantId: string): InMemoryCheckpointStore {
    if (sameTenantView('checkpoint store', this.#tenantId, checkTenantId(tenantId))) return this;
    return new InMemoryCheckpointStore(this.#checkpoints, checkTenantId(tenantId));
  }

  #set(name: string, position: Position): void {
    const tenant = this.#tenantId !== undefined ? { tenantId: this.#tenantId } : {};
    this.#checkpoints.set(this.#key(name), { ...tenant, name, position, updatedAt: new Date() });
  }

  #key(name: string): string {
    return JSON.stringify([this.#tenantId ?? '', name]);
  }
}

/** Equality of two optional positions. */
export function samePosition(a: Position | null, b: Position | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
