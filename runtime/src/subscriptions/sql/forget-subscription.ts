import { sql, type Kysely } from 'kysely';
import { TENANT_SETTING } from '../../store/sql/migrations/rls-0001-tenant-policies.js';
import { affected, detectDialect } from '../../store/sql/sql-dialect.js';
import { SqlTable } from '../../store/sql/sql-tables.js';
import { SubscriptionInUseError } from '../subscription-errors.js';
import { checkTenantId } from '../tenant-view.js';
import { pendingRebuildTableExists } from './pending-rebuilds.js';
import { liveLeases } from './projection-leases.js';

export interface ForgetSubscriptionOptions {
  /**
   * Forget only this tenant's scope: its checkpoint and lease, and the dead letters of its events.
   * Absent: every scope (the unscoped store's and every tenant's).
   */
  readonly tenantId?: string;
  /** The clock that tells a held lease from one that ran out, epoch milliseconds. Default now. */
  readonly now?: number;
}

/** What {@link forgetSubscription} removed, in rows. */
export interface ForgottenSubscription {
  readonly name: string;
  /** Checkpoints, one per scope (the unscoped store's and each tenant's). */
  readonly checkpoints: number;
  /** Leases that ran out (a process that held one stopped without releasing it). */
  readonly leases: number;
  /** Dead-letter entries, whatever their status. */
  readonly deadLetters: number;
  /** Whether a mark that the projection needs a rebuild was cleared. */
  readonly pendingRebuild: boolean;
}

/**
 * Removes what the subscription tables keep of a subscription or projection that no app runs any
 * more (it was removed or renamed): its checkpoints, its leases, its dead letters and its mark of
 * needing a rebuild, in one transaction. It changes no projection table: the projection
 * migrations own those. With `tenantId`, only that tenant's scope; the mark, which is one per
 * projection, is cleared only when no checkpoint of the name is left in any scope.
 *
 * Throws {@link SubscriptionInUseError} and removes nothing while a process holds the
 * subscription's lease (`SqlLeaseLock`, createApp's default): the subscription still runs
 * somewhere. A subscription forgotten and then run again starts from the beginning of the feed.
 *
 * @example
 * ```ts
 * // OldOrderTotals was removed from the domain; drop its bookkeeping.
 * const forgotten = await forgetSubscription(store.db, 'OldOrderTotals');
 * console.log(`${forgotten.checkpoints} checkpoints, ${forgotten.deadLetters} dead letters removed`);
 * ```
 */
export async function forgetSubscription(
  db: Kysely<any>,
  name: string,
  options: ForgetSubscriptionOptions = {},
): Promise<ForgottenSubscription> {
  const tenant = options.tenantId === undefined ? undefined : checkTenantId(options.tenantId);
  const now = options.now ?? Date.now();
  const dialect = detectDialect(db);
  const forget = async (trx: Kysely<any>): Promise<ForgottenSubscription> => {
    // A tenant's dead letters under PostgreSQL row-level security are visible to their tenant.
    if (dialect === 'postgres' && tenant !== undefined)
      await sql`select set_config(${TENANT_SETTING}, ${tenant}, true)`.execute(trx);
    const inScope = <Q extends { where(column: 'tenant_id', op: '=', value: string): Q }>(query: Q): Q =>
      tenant === undefined ? query : query.where('tenant_id', '=', tenant);
    const held = await liveLeases(trx, name, { now, ...(tenant !== undefined ? { tenantId: tenant } : {}) });
    if (held.length > 0) throw new SubscriptionInUseError(name, held);
    const leases = await inScope(trx.deleteFrom(SqlTable.leases).where('name', '=', name)).executeTakeFirst();
    const checkpoints = await inScope(trx.deleteFrom(SqlTable.checkpoints).where('name', '=', name)).executeTakeFirst();
    const deadLetters = await inScope(
      trx.deleteFrom(SqlTable.deadLetters).where('subscription', '=', name),
    ).executeTakeFirst();
    let pendingRebuild = false;
    if (await pendingRebuildTableExists(trx, dialect)) {
      const left =
        tenant === undefined
          ? undefined
          : await trx.selectFrom(SqlTable.checkpoints).select('name').where('name', '=', name).executeTakeFirst();
      if (left === undefined)
        pendingRebuild =
          affected(await trx.deleteFrom(SqlTable.pendingRebuilds).where('projection', '=', name).executeTakeFirst()) >
          0;
    }
    return {
      name,
      checkpoints: affected(checkpoints),
      leases: affected(leases),
      deadLetters: affected(deadLetters),
      pendingRebuild,
    };
  };
  return db.isTransaction ? forget(db) : db.transaction().execute(forget);
}
