import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { checkTenantId } from '../tenant-view.js';
import type { LockHandle, SubscriptionLock } from '../subscription-lock.js';
import { affected, detectDialect, type SqlDialectName } from '../../store/sql/sql-dialect.js';
import { SubscriptionTable, type SubscriptionTables } from './subscription-tables.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';
import type { HeldLease } from '../subscription-errors.js';
import { liveLeases } from './projection-leases.js';
import { isRebuildLeaseOwner, REBUILD_LEASE_OWNER_PREFIX } from './rebuild-lease-owner.js';

const TABLE = SubscriptionTable.leases;

export interface SqlLeaseLockOptions {
  /** How long a lease lasts without renewal; a dead holder is replaced after this. Default 15 s. */
  readonly ttlMs?: number;
  /** Renewal interval. Default ttlMs / 3. */
  readonly renewEveryMs?: number;
  /** This process's identity in the lease table. Default: `<host name>:<pid>:<random id>`, which says where it runs. */
  readonly owner?: string;
  readonly dialect?: SqlDialectName;
}

/**
 * A lease per subscription in a SQL table (`eventsmith_leases`), for SQLite, MariaDB/MySQL or
 * PostgreSQL. The holder renews its lease every `renewEveryMs`; if it dies, the lease runs out
 * after `ttlMs` and a standby takes it over. Times come from the clients' clocks, so keep `ttlMs`
 * well above any clock skew between machines. A holder that stalls past its lease loses it; the
 * checkpoint compare-and-set then rejects its next batch, so nothing is applied twice. Leases are
 * keyed by (tenant, name): a view made with `forTenant` takes its tenant's, the lock its own.
 *
 * @example
 * ```ts
 * const lock = new SqlLeaseLock(store.db, { ttlMs: 10_000 });
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters, lock });
 * ```
 */
export class SqlLeaseLock implements SubscriptionLock {
  readonly #db: Kysely<SubscriptionTables>;
  readonly #ttlMs: number;
  readonly #renewMs: number;
  readonly #owner: string;
  readonly #dialect: SqlDialectName;
  readonly #options: SqlLeaseLockOptions;
  /** The `tenant_id` key of this view's leases. */
  #tenant = '';

  constructor(db: Kysely<any>, options: SqlLeaseLockOptions = {}) {
    this.#db = db;
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? 15_000;
    this.#renewMs = options.renewEveryMs ?? Math.max(50, Math.floor(this.#ttlMs / 3));
    this.#owner = options.owner ?? `${hostname().slice(0, 100)}:${process.pid}:${randomUUID()}`;
    this.#dialect = options.dialect ?? detectDialect(db);
  }

  async tryAcquire(name: string): Promise<LockHandle | undefined> {
    const now = Date.now();
    const tenant = this.#tenant;
    const insert = this.#db
      .insertInto(TABLE)
      .values({ tenant_id: tenant, name, owner: this.#owner, expires_at: now + this.#ttlMs, acquired_at: now });
    await (
      this.#dialect === 'mysql'
        ? insert.ignore()
        : insert.onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing())
    ).execute();
    const taken = await this.#db
      .updateTable(TABLE)
      .set({ owner: this.#owner, expires_at: now + this.#ttlMs, acquired_at: now })
      .where('tenant_id', '=', tenant)
      .where('name', '=', name)
      .where((eb) => eb.or([eb('owner', '=', this.#owner), eb('expires_at', '<', now)]))
      .executeTakeFirst();
    if (affected(taken) === 0) return undefined;
    return new LeaseHandle(this.#db, tenant, name, this.#owner, this.#ttlMs, this.#renewMs);
  }

  /** This lock's identity in the lease table. */
  get owner(): string {
    return this.#owner;
  }

  /** A view taking `tenantId`'s leases, as the same owner. */
  forTenant(tenantId: string): SqlLeaseLock {
    if (sameTenantView('subscription lock', this.#tenant, checkTenantId(tenantId))) return this;
    const view = new SqlLeaseLock(this.#db, { ...this.#options, owner: this.#owner, dialect: this.#dialect });
    view.#tenant = checkTenantId(tenantId);
    return view;
  }

  /** A view taking the same leases (same tenant) as a rebuild: its owner starts with `rebuild:`. */
  forRebuild(): SqlLeaseLock {
    if (isRebuildLeaseOwner(this.#owner)) return this;
    const owner = REBUILD_LEASE_OWNER_PREFIX + this.#owner;
    const view = new SqlLeaseLock(this.#db, { ...this.#options, owner, dialect: this.#dialect });
    view.#tenant = this.#tenant;
    return view;
  }

  /** The live lease of `name` in this view's tenant: its owner and when it runs out. */
  async holder(name: string): Promise<HeldLease | undefined> {
    const [lease] = await liveLeases(this.#db, name, { tenantId: this.#tenant });
    return lease;
  }
}

class LeaseHandle implements LockHandle {
  #held = true;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<SubscriptionTables>,
    private readonly tenant: string,
    private readonly name: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    renewMs: number,
  ) {
    this.#timer = setInterval(() => void this.#renew(), renewMs);
    this.#timer.unref();
  }

  get held(): boolean {
    return this.#held;
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    clearInterval(this.#timer);
    await this.db
      .deleteFrom(TABLE)
      .where('tenant_id', '=', this.tenant)
      .where('name', '=', this.name)
      .where('owner', '=', this.owner)
      .execute();
  }

  async #renew(): Promise<void> {
    if (!this.#held) return;
    try {
      const result = await this.db
        .updateTable(TABLE)
        .set({ expires_at: Date.now() + this.ttlMs })
        .where('tenant_id', '=', this.tenant)
        .where('name', '=', this.name)
        .where('owner', '=', this.owner)
        .executeTakeFirst();
      if (affected(result) === 0) this.#lost();
    } catch {
      // The database is unreachable: keep the lease until it would have run out.
    }
  }

  #lost(): void {
    this.#held = false;
    clearInterval(this.#timer);
  }
}
