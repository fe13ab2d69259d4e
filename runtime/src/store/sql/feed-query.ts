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
  readonly limit: number;
}

/**
 * One page of the global feed as a keyset query: `WHERE key > :after ORDER BY key LIMIT n`, never
 * OFFSET. Filters are pushed down; a list filter (several event types, say) becomes one branch
 * per value, each a range scan of the `(value, key…)` index limited to `n` rows, merged by a
 * `UNION ALL … ORDER BY key LIMIT n`, so a page never reads more than `n` rows per value.
 */
export function feedQuery(db: Kysely<any>, options: FeedQueryOptions): SelectQueryBuilder<any, any, any> {
  const { filter } = options;
  // The most selective list drives the index; the other filters are checked on its rows.
  const driver: { column: string; values: readonly string[] } | undefined = filter.eventTypes
    ? { column: 'event_type', values: filter.eventTypes }
    : filter.aggregateTypes
      ? { column: 'aggregate_type', values: filter.aggregateTypes }
      : undefined;

  const branch = (value: string | undefined) => {
    let query = db.selectFrom('eventsmith_events').select(options.select as string[]);
    if (driver && value !== undefined) query = query.where(driver.column, '=', value);
    if (filter.eventTypes && driver?.column !== 'event_type') query = query.where('event_type', 'in', filter.eventTypes);
    if (filter.aggregateTypes && driver?.column !== 'aggregate_type') query = query.where('aggregate_type', 'in', filter.aggregateTypes);
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (options.after) query = query.where(options.after);
    if (options.visible) query = query.where(options.visible);
    for (const column of options.orderBy) query = query.orderBy(column);
    return query.limit(options.limit);
  };

  if (!driver || driver.values.length === 1) return branch(driver?.values[0]);
  let union = db.selectFrom(branch(driver.values[0]).as('b0')).selectAll();
  driver.values.slice(1).forEach((value, i) => {
    union = union.unionAll(db.selectFrom(branch(value).as(`b${i + 1}`)).selectAll());
  });
  for (const column of options.orderBy) union = union.orderBy(column);
  return union.limit(options.limit);
}
