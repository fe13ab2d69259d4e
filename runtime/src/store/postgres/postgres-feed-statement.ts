import { sql, type Kysely, type RawBuilder } from 'kysely';
import { pgDriver } from './postgres-driver.js';
import type { FeedFilter } from '../sql/event-rows.js';
import { feedQuery, type FeedFilterColumn } from '../sql/feed-query.js';
import { HORIZON } from './postgres-statements.js';

/** A row's place in the feed order, as PostgreSQL returns it: (`tx_id`, `position`). */
export interface FeedKey {
  readonly tx: string;
  readonly position: string;
}

/** Below every row (transaction ids and positions start at 1), so reading after it reads from the start. */
export const FEED_START: FeedKey = { tx: '0', position: '0' };

/** A feed page statement for one filter, and how to fill in its parameters. */
export interface FeedStatement {
  readonly text: string;
  /** Parameters for a page of at most `limit` rows after `after`, for `filter` (of this statement's key). */
  values(filter: SomeFilter, after: FeedKey, limit: number): unknown[];
}

type SomeFilter = Exclude<FeedFilter, { none: true }>;

/**
 * What a feed statement's text depends on: the event and aggregate types it filters on (written
 * into the text), and whether it filters on a tenant (a parameter).
 */
export function feedStatementKey(filter: SomeFilter): string {
  return JSON.stringify([filter.eventTypes ?? null, filter.aggregateTypes ?? null, filter.tenantId !== undefined]);
}

/**
 * One feed page below the horizon, and in the same statement whether a committed row after the
 * reader's key waits at or above that horizon (`deferred`), so an idle poll costs one round trip.
 * Both parts share the statement's snapshot and one evaluation of the horizon: a row that
 * committed before the statement began is either in the page or makes `deferred` true. The flag
 * comes as one more row after the page's rows (its page columns null, so it sorts last), which
 * the reader takes off ({@link feedFlag}); an empty page returns it alone.
 *
 * Page and flag are a `UNION ALL` ordered by the feed key, which PostgreSQL runs as a merge of the
 * two sorted branches (the page comes in index order). The flag used to be a one-row table
 * left-joined to the page: the planner cannot see that such a join keeps the page's order, so it
 * sorted every page again (EXPLAIN ANALYZE of a 1,000-row page, median of 200: 1.15 ms executing
 * with that sort, 0.54 ms with the merge; raw's plain select 0.45 ms).
 *
 * Made to be prepared once and run with PostgreSQL's generic plan. Parameters: $1, $2 the
 * reader's key, $3 the row limit, $4 the tenant. Each enters as `(select $n::type)`, a sub-select
 * the planner cannot look into, so a plan made knowing the values is the plan made without them.
 * That is what lets PostgreSQL settle on the generic plan: after five runs it switches only when
 * the generic plan is no costlier than the plans it made knowing the values, and a plan that
 * sees an idle reader's key at the end of the feed index always looks cheaper, so every poll was
 * planned anew (~0.5 ms against ~0.1 ms to run). Neither the key nor the limit should change the
 * plan: it is a range scan of an index in feed order from the key. Which index (the feed's, or
 * the event type's for a rare type) depends on how common the filtered types are, so those are
 * written into the text as literals, where the planner sees them: one statement per filter.
 */
export function feedStatement(db: Kysely<any>, filter: SomeFilter, select: readonly string[]): FeedStatement {
  const value = (column: FeedFilterColumn, literal: string) =>
    column === 'tenant_id' ? parameter<string>(4, 'text') : sql.raw<string>(pgDriver.escapeLiteral(literal));

  const after = { tx: parameter<string>(1, 'xid8'), position: parameter<string>(2, 'bigint') };
  const horizon = sql`(select h from eventsmith_horizon)`;
  const page = feedQuery(db, {
    filter,
    select,
    orderBy: ['tx_id', 'position'],
    limit: parameter<number>(3, 'bigint'),
    value,
    visible: (eb) => eb('tx_id', '<', horizon),
    after: (eb) => eb(eb.refTuple('tx_id', 'position'), '>', eb.tuple(after.tx, after.position)),
  });
  // The first row after both the reader's key and the horizon, as one bound on the feed index: as
  // two separate conditions the index scan would start at the key and walk up to the horizon.
  const bound = sql`(greatest(${after.tx}, ${horizon}), case when ${horizon} > ${after.tx} then -1 else ${after.position} end)`;
  const deferred = sql<boolean>`(select true from eventsmith_events where (tx_id, position) > ${bound} order by tx_id, position limit 1) is not null`;
  const rows = db
    .selectFrom(page.as('p'))
    .selectAll('p')
    .select(sql<boolean | null>`null`.as('deferred'));
  const flag = db.selectNoFrom([...select.map((column) => sql<unknown>`null`.as(column)), deferred.as('deferred')]);
  const compiled = db
    .with('eventsmith_horizon', (qb) => qb.selectNoFrom(sql.raw(HORIZON).as('h')))
    .selectFrom(rows.unionAll(flag as never).as('u'))
    .selectAll('u')
    .orderBy('u.tx_id') // ascending: nulls last, so the flag row comes after the page
    .orderBy('u.position')
    .compile();
  if (compiled.parameters.length > 0)
    throw new Error('Internal: the feed statement must take every value through its own placeholders.');
  return {
    text: compiled.sql,
    values: (of, key, limit) =>
      of.tenantId === undefined ? [key.tx, key.position, limit] : [key.tx, key.position, limit, of.tenantId],
  };
}

function parameter<T>(n: number, type: 'text' | 'bigint' | 'xid8'): RawBuilder<T> {
  return sql.raw<T>(`(select $${n}::${type})`);
}

/**
 * Takes the flag row off the rows a {@link feedStatement} returned (it is the last, after the
 * page's rows) and says whether committed rows wait at or above the horizon.
 */
export function feedFlag(rows: { tx_id: unknown; deferred?: unknown }[]): boolean {
  const flag = rows.pop();
  if (flag === undefined || flag.tx_id !== null) throw new Error('Internal: a feed page must end with its flag row.');
  return flag.deferred === true;
}
