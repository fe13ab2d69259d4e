import { sql, type ExpressionBuilder, type ExpressionWrapper, type SqlBool } from 'kysely';
import {
  deadLetterFromRow,
  Position,
  type DeadLetterEntry,
  type DeadLetterRow,
  type DeadLetterStatus,
  type Kysely,
} from '@eventsmith/runtime';

// Queries on the subscription tables across tenants, for the operators' status. The runtime's
// checkpoint store and dead-letter queue answer per view (the unscoped store's checkpoints, one
// tenant's); a status of the whole store needs every scope at once.
type Db = Kysely<any>;

/** A checkpoint row with its scope: `tenantId` null for the unscoped store's subscription. */
export interface ScopedCheckpoint {
  readonly name: string;
  readonly tenantId: string | null;
  readonly position: Position;
  readonly updatedAt: Date;
}

/** Dead letters of one subscription whose events are of one tenant (null: no tenant), by status. */
export interface DeadLetterCount {
  readonly subscription: string;
  readonly tenantId: string | null;
  /** Counted in the subscription's unscoped row (see {@link countedUnscoped}), not in a row of `tenantId`. */
  readonly unscoped: boolean;
  readonly pending: number;
  readonly retrying: number;
  readonly resolved: number;
}

/** Every checkpoint (only `tenantId`'s when given), of every scope. */
export async function listCheckpoints(db: Db, tenantId: string | undefined): Promise<ScopedCheckpoint[]> {
  let select = db.selectFrom('eventsmith_checkpoints').select(['tenant_id', 'name', 'position', 'updated_at']);
  if (tenantId !== undefined) select = select.where('tenant_id', '=', tenantId);
  const rows = (await select.execute()) as {
    tenant_id: string;
    name: string;
    position: string;
    updated_at: number | string;
  }[];
  return rows.map((row) => ({
    name: row.name,
    tenantId: row.tenant_id === '' ? null : row.tenant_id,
    position: Position.parse(row.position),
    updatedAt: new Date(Number(row.updated_at)),
  }));
}

/**
 * The dead letters (only of `tenantId`'s events when given), counted per subscription, tenant and
 * status. Without `tenantId`, each count says whether the unscoped row counts it; a tenant's
 * inspector sees its own checkpoints only, so its counts are all its tenant's rows'.
 */
export async function countDeadLetters(db: Db, tenantId: string | undefined): Promise<DeadLetterCount[]> {
  let grouped = db
    .selectFrom('eventsmith_dead_letters')
    .select(['subscription', 'tenant_id', 'status'])
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .groupBy(['subscription', 'tenant_id', 'status']);
  if (tenantId !== undefined) grouped = grouped.where('tenant_id', '=', tenantId);
  const rows = (await (
    tenantId === undefined
      ? db
          .selectFrom(grouped.as('dl'))
          .selectAll('dl')
          .select((eb) => countedUnscoped(eb).as('unscoped'))
      : grouped
  ).execute()) as {
    subscription: string;
    tenant_id: string | null;
    status: string;
    count: number | string;
    unscoped?: boolean | number | string;
  }[];
  const counts = new Map<string, { -readonly [K in keyof DeadLetterCount]: DeadLetterCount[K] }>();
  for (const row of rows) {
    const key = JSON.stringify([row.subscription, row.tenant_id]);
    let count = counts.get(key);
    if (!count)
      counts.set(
        key,
        (count = {
          subscription: row.subscription,
          tenantId: row.tenant_id,
          unscoped: Number(row.unscoped ?? 0) === 1,
          pending: 0,
          retrying: 0,
          resolved: 0,
        }),
      );
    if (row.status === 'pending' || row.status === 'retrying' || row.status === 'resolved')
      count[row.status] += Number(row.count);
  }
  return [...counts.values()];
}

/**
 * The newest pending or retrying dead letter of `subscription` whose event is of one of `tenants`
 * (null: no tenant): its error and when it last failed.
 */
export async function newestUnresolved(
  db: Db,
  subscription: string,
  tenants: readonly (string | null)[],
): Promise<{ message: string; at: Date } | undefined> {
  const ids = tenants.filter((t): t is string => t !== null);
  const withoutTenant = tenants.includes(null);
  if (ids.length === 0 && !withoutTenant) return undefined;
  const row = (await db
    .selectFrom('eventsmith_dead_letters')
    .select(['error', 'last_failed_at'])
    .where('subscription', '=', subscription)
    .where('status', 'in', ['pending', 'retrying'])
    .where((eb) =>
      eb.or([
        ...(ids.length > 0 ? [eb('tenant_id', 'in', ids)] : []),
        ...(withoutTenant ? [eb('tenant_id', 'is', null)] : []),
      ]),
    )
    .orderBy('last_failed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()) as { error: string; last_failed_at: number | string } | undefined;
  return row === undefined ? undefined : { message: row.error, at: new Date(Number(row.last_failed_at)) };
}

/**
 * The first `limit` dead letters (by id, as the queue lists them) that `subscriptions()` counts in
 * an unscoped row ({@link countedUnscoped}), in one query.
 */
export async function listUnscopedDeadLetters(
  db: Db,
  filter: {
    readonly subscription?: string;
    readonly status?: DeadLetterStatus;
    readonly limit: number;
    readonly afterId?: string;
  },
): Promise<DeadLetterEntry[]> {
  let select = db
    .selectFrom('eventsmith_dead_letters as dl')
    .selectAll('dl')
    .where((eb) => countedUnscoped(eb))
    .orderBy('dl.id')
    .limit(filter.limit);
  if (filter.subscription !== undefined) select = select.where('dl.subscription', '=', filter.subscription);
  if (filter.status !== undefined) select = select.where('dl.status', '=', filter.status);
  if (filter.afterId !== undefined) select = select.where('dl.id', '>', filter.afterId);
  return ((await select.execute()) as DeadLetterRow[]).map(deadLetterFromRow);
}

/**
 * Whether the dead letters of `dl.subscription` whose events are of `dl.tenant_id` count in the
 * subscription's unscoped row of `subscriptions()`: those of events without a tenant; and a
 * tenant's when the subscription has no checkpoint of that tenant but has an unscoped one. The
 * others count in their tenant's row (one not started when it has no checkpoint). So each dead
 * letter counts in one row, and the unscoped list shows what the unscoped rows count.
 */
function countedUnscoped(eb: ExpressionBuilder<any, any>): ExpressionWrapper<any, any, SqlBool> {
  const checkpoint = (tenant: 'its tenant' | 'unscoped') =>
    eb.exists(
      eb
        .selectFrom('eventsmith_checkpoints as c')
        .select(sql.lit(1).as('one'))
        .whereRef('c.name', '=', 'dl.subscription')
        .where(tenant === 'unscoped' ? eb('c.tenant_id', '=', '') : eb('c.tenant_id', '=', eb.ref('dl.tenant_id'))),
    );
  return eb.or([eb('dl.tenant_id', 'is', null), eb.and([eb.not(checkpoint('its tenant')), checkpoint('unscoped')])]);
}
