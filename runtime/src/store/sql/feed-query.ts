import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely';
import type { FeedFilter } from './event-rows.js';

type Eb = ExpressionBuilder<any, any>;

export interface FeedQueryOptions {
  readonly filter: Exclude<FeedFilter, { none: true }>;
  /** Columns to select (the event columns plus the ordering key). */
  readonly select: readonly string[];
  /** The feed order, e.g. `['position']` or PostgreSQL's `['tx_id', 'position']`. */
  readonly orderBy: readonly string[];
  /** Rows strictly after the reader's last key; absent at the start of the feed. */
  readonly after?: (eb: Eb) => Expression<SqlBool>;
  /** Only rows a reader may see yet (PostgreSQL's commit horizon). */
  readonly visible?: (eb: Eb) => Expression<SqlBool>;
  /** Rows per page: a number, or an expression such as a statement parameter. */
  readonly limit: number | Expression<number>;
  /**
   * How a filter value enters the SQL. Default: as a parameter. PostgreSQL passes its own
   * placeholders, so that one statement text serves every value of a filter shape.
   */
  readonly value?: (column: FeedFilterColumn, value: string) => string | Expression<string>;
  /**
   * How a list of values is matched (`column IN list`). Default: one value each, as `value` makes
   * them. SQLite passes the whole list as one JSON parameter, which has no limit on its length.
   */
  readonly list?: (eb: Eb, column: FeedFilterColumn, values: readonly string[]) => Expression<SqlBool>;
  /**
   * Whether each branch of a union carries the page's limit too (default true), so that the
   * database never reads more than `limit` rows per branch. SQLite passes `false`: it merges
   * branches without a limit of their own lazily, reading only the rows the page takes, but reads
   * each limited branch whole before merging.
   */
  readonly branchLimit?: boolean;
}

/**
 * Filter lists up to this many values are read with one branch per value; longer ones with one
 * `IN` test. A branch per value keeps a page to a range scan per value, but planning grows with
 * the square of the branches (PostgreSQL took 6 s for 1,000) and SQLite allows 500 at most.
 */
export const FEED_BRANCHES_MAX = 32;

/** The columns a feed filter compares with values. */
export type FeedFilterColumn = 'event_type' | 'aggregate_type' | 'tenant_id';

/**
 * One page of the global feed as a keyset query: `WHERE key > :after ORDER BY key LIMIT n`, never
 * OFFSET. Filters are pushed down; a list filter (several event types, say) becomes one branch
 * per value, each a range scan of the `(value, key…)` index limited to `n` rows (unless
 * `branchLimit` is false), merged by a `UNION ALL … ORDER BY key LIMIT n`, so a page never reads
 * more than `n` rows per value. A list longer than {@link FEED_BRANCHES_MAX} is one `IN` test
 * instead, and the planner picks the index (the feed's in key order, or the filtered column's)
 * from how common the values are.
 */
export function feedQuery(db: Kysely<any>, options: FeedQueryOptions): SelectQueryBuilder<any, any, any> {
  const { filter } = options;
  const value = options.value ?? ((_column, v) => v);
  const inList = (column: FeedFilterColumn, list: readonly string[]) => (eb: Eb) =>
    options.list
      ? options.list(eb, column, list)
      : eb(
          column,
          'in',
          list.map((v) => value(column, v)),
        );
  // The most selective list drives the index; the other filters are checked on its rows.
  const listed: { column: FeedFilterColumn; values: readonly string[] } | undefined = filter.eventTypes
    ? { column: 'event_type', values: filter.eventTypes }
    : filter.aggregateTypes
      ? { column: 'aggregate_type', values: filter.aggregateTypes }
      : undefined;
  const driver = listed && listed.values.length <= FEED_BRANCHES_MAX ? listed : undefined;

  const branch = (driven: string | undefined, limited = true) => {
    let query = db.selectFrom('eventsmith_events').select(options.select as string[]);
    if (driver && driven !== undefined) query = query.where(driver.column, '=', value(driver.column, driven));
    if (filter.eventTypes && driver?.column !== 'event_type')
      query = query.where(inList('event_type', filter.eventTypes));
    if (filter.aggregateTypes && driver?.column !== 'aggregate_type')
      query = query.where(inList('aggregate_type', filter.aggregateTypes));
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', value('tenant_id', filter.tenantId));
    if (options.after) query = query.where(options.after);
    if (options.visible) query = query.where(options.visible);
    for (const column of options.orderBy) query = query.orderBy(column);
    return limited ? query.limit(options.limit) : query;
  };

  if (!driver || driver.values.length === 1) return branch(driver?.values[0]);
  const limited = options.branchLimit ?? true;
  let union = db.selectFrom(branch(driver.values[0], limited).as('b0')).selectAll();
  driver.values.slice(1).forEach((driven, i) => {
    union = union.unionAll(db.selectFrom(branch(driven, limited).as(`b${i + 1}`)).selectAll());
  });
  for (const column of options.orderBy) union = union.orderBy(column);
  return union.limit(options.limit);
}
