import { sql, type CompiledQuery, type Expression, type Kysely } from 'kysely';
import type { ReadStreamOptions } from '../event-store.js';
import { checkIdText, streamRange } from '../store-input.js';
import type { EventStoreTables } from './event-store-tables.js';

/**
 * One page of a stream, by version range (a keyset on the UNIQUE(stream_id, version) index).
 * Values may be expressions, such as named placeholders of a statement compiled once.
 * `tenantCheck: 'filter'` compares the tenant with `is not distinct from` (PostgreSQL), which no
 * index serves, so the tenant is checked on the stream's rows and the plan cannot read the tenant
 * index instead (see `PostgresEventStore`'s stream statement).
 */
export function streamPageQuery(
  db: Kysely<EventStoreTables>,
  select: readonly string[],
  streamId: string | Expression<string>,
  page: {
    readonly from: number | Expression<number>;
    readonly to: number | Expression<number>;
    readonly limit: number | Expression<number>;
    readonly backward: boolean;
  },
  tenant: string | Expression<string> | undefined,
  tenantCheck: 'index' | 'filter' = 'index',
): CompiledQuery {
  let query = db
    .selectFrom('eventsmith_events')
    .select(select as never[])
    .where('stream_id', '=', streamId)
    .where('version', page.backward ? '<=' : '>=', page.from)
    .where('version', page.backward ? '>=' : '<=', page.to);
  if (tenant !== undefined)
    query = query.where('tenant_id', tenantCheck === 'filter' ? 'is not distinct from' : '=', tenant);
  return query
    .orderBy('version', page.backward ? 'desc' : 'asc')
    .limit(page.limit)
    .compile();
}

/** A stream's version; a tenant view sees a stream when it owns it or holds some of its events. */
export function streamVersionQuery(
  db: Kysely<EventStoreTables>,
  streamId: string,
  tenant: string | undefined,
): CompiledQuery {
  let query = db.selectFrom('eventsmith_streams as s').select('s.version').where('s.stream_id', '=', streamId);
  if (tenant !== undefined) {
    query = query.where((eb) =>
      eb.or([
        eb('s.tenant_id', '=', tenant),
        eb.exists(
          eb
            .selectFrom('eventsmith_events as e')
            .select(sql.lit(1).as('x'))
            .whereRef('e.stream_id', '=', 's.stream_id')
            .where('e.tenant_id', '=', tenant),
        ),
      ]),
    );
  }
  return query.compile();
}

/** Whether an event id is stored (in a tenant view: stored for that tenant). */
export function eventExistsQuery(
  db: Kysely<EventStoreTables>,
  eventId: string,
  tenant: string | undefined,
): CompiledQuery {
  let query = db.selectFrom('eventsmith_events').select(sql.lit(1).as('found')).where('event_id', '=', eventId);
  if (tenant !== undefined) query = query.where('tenant_id', '=', tenant);
  return query.limit(1).compile();
}

/**
 * Pages through a stream: `fetch` gets successive version windows until `limit` rows or the end.
 * Each page asks for one row more than it returns, so the last page is recognised without an
 * extra, empty query. Returns whole pages, so callers yield without another generator layer.
 * `versionOf` reads a row's stream version (rows may be objects or, on SQLite, arrays).
 */
export async function* pageStream<R>(
  options: { readonly from?: number; readonly to?: number; readonly direction?: 'forward' | 'backward' },
  limit: number,
  pageSize: number,
  fetch: (page: { from: number; to: number; limit: number; backward: boolean }) => Promise<R[]>,
  versionOf: (row: R) => number,
): AsyncGenerator<R[]> {
  const backward = options.direction === 'backward';
  let from = options.from ?? (backward ? 2_147_483_647 : 1);
  const to = options.to ?? (backward ? 1 : 2_147_483_647);
  while (limit > 0) {
    const n = Math.min(pageSize, limit);
    const rows = await fetch({ from, to, limit: n + 1, backward });
    const more = rows.length > n && n < limit;
    if (rows.length > n) rows.length = n;
    if (rows.length > 0) yield rows;
    if (!more) return;
    limit -= n;
    from = versionOf(rows[rows.length - 1]!) + (backward ? -1 : 1);
  }
}

/**
 * A stream's events page by page, as the stores without a cached statement read them: each page
 * is `streamPageQuery` over `select`, run by `rows`.
 */
export function readStreamPages<R extends { readonly version: number }>(
  db: Kysely<EventStoreTables>,
  select: readonly string[],
  streamId: string,
  options: ReadStreamOptions,
  pageSize: number,
  tenant: string | undefined,
  rows: (query: CompiledQuery) => Promise<R[]>,
): AsyncGenerator<R[]> {
  const range = streamRange(streamId, options);
  return pageStream<R>(
    range,
    range.limit,
    pageSize,
    (page) => rows(streamPageQuery(db, select, streamId, page, tenant)),
    (row) => row.version,
  );
}

/** A stream's version, 0 when it has none (or, in a tenant view, none that the view sees). */
export async function readStreamVersion(
  db: Kysely<EventStoreTables>,
  streamId: string,
  tenant: string | undefined,
  rows: (
    query: CompiledQuery,
  ) => Promise<readonly { version: number | string }[]> | readonly { version: number | string }[],
): Promise<number> {
  checkIdText('stream id', streamId);
  const [row] = await rows(streamVersionQuery(db, streamId, tenant));
  return row ? Number(row.version) : 0;
}
