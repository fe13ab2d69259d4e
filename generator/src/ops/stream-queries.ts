import { sql, type Kysely } from 'kysely';
import type { EventLink } from './event-views.js';

/** One stream in the store's stream table. */
export interface StreamSummary {
  readonly streamId: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly tenantId: string | null;
}

export interface StreamQuery {
  /** Part of the stream id (`BankAccount-acc-1`), anywhere in it. */
  readonly search?: string;
  readonly aggregateType?: string;
  readonly tenantId?: string;
  /** Default 50, at most 500. */
  readonly limit?: number;
  readonly offset?: number;
}

// Queries on the SQL stores' own tables (the same names and columns on every dialect). The store
// port has no listing of streams or lookup by correlation: these are for operators, not the hot path.
type Db = Kysely<any>;

/** Streams ordered by id; one more than `limit` is read to tell whether there are more. */
export async function listStreams(db: Db, query: StreamQuery): Promise<{ streams: StreamSummary[]; more: boolean }> {
  const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
  let select = db
    .selectFrom('eventsmith_streams')
    .select(['stream_id', 'version', 'tenant_id'])
    .orderBy('stream_id')
    .limit(limit + 1)
    .offset(Math.max(query.offset ?? 0, 0));
  if (query.tenantId !== undefined) select = select.where('tenant_id', '=', query.tenantId);
  if (query.aggregateType) select = select.where(like(`${escapeLike(query.aggregateType)}-%`));
  if (query.search) select = select.where(like(`%${escapeLike(query.search)}%`));
  const rows = (await select.execute()) as { stream_id: string; version: number | string; tenant_id: string | null }[];
  return {
    streams: rows.slice(0, limit).map((row) => {
      const dash = row.stream_id.indexOf('-');
      return {
        streamId: row.stream_id,
        aggregateType: dash > 0 ? row.stream_id.slice(0, dash) : row.stream_id,
        aggregateId: dash > 0 ? row.stream_id.slice(dash + 1) : '',
        version: Number(row.version),
        tenantId: row.tenant_id,
      };
    }),
    more: rows.length > limit,
  };
}

/** The tenants that own streams (at most 200), sorted. */
export async function listTenants(db: Db): Promise<string[]> {
  const rows = (await db
    .selectFrom('eventsmith_streams')
    .select('tenant_id')
    .distinct()
    .where('tenant_id', 'is not', null)
    .orderBy('tenant_id')
    .limit(200)
    .execute()) as { tenant_id: string }[];
  return rows.map((r) => r.tenant_id);
}

/** The stream's owner: its tenant, `null` for none, `undefined` when the stream does not exist. */
export async function streamTenant(db: Db, streamId: string): Promise<string | null | undefined> {
  const row = (await db
    .selectFrom('eventsmith_streams')
    .select('tenant_id')
    .where('stream_id', '=', streamId)
    .executeTakeFirst()) as { tenant_id: string | null } | undefined;
  return row === undefined ? undefined : row.tenant_id;
}

/** Every event of these correlations (at most 1000), as links with their causation ids. */
export async function correlatedEvents(
  db: Db,
  correlationIds: readonly string[],
  tenantId: string | undefined,
): Promise<(EventLink & { causationId: string | null })[]> {
  if (correlationIds.length === 0) return [];
  let select = db
    .selectFrom('eventsmith_events')
    .select(['event_id', 'event_type', 'stream_id', 'version', 'causation_id'])
    .where('correlation_id', 'in', [...new Set(correlationIds)].slice(0, 500))
    .orderBy('stream_id')
    .orderBy('version')
    .limit(1000);
  if (tenantId !== undefined) select = select.where('tenant_id', '=', tenantId);
  const rows = (await select.execute()) as {
    event_id: string;
    event_type: string;
    stream_id: string;
    version: number | string;
    causation_id: string | null;
  }[];
  return rows.map((r) => ({
    eventId: r.event_id,
    eventType: r.event_type,
    streamId: r.stream_id,
    version: Number(r.version),
    causationId: r.causation_id,
  }));
}

/**
 * The stream and version of the event `offset` events back from the newest (0: the newest), in
 * the feed's order on that dialect (PostgreSQL orders its feed by transaction id, then position;
 * the others by position), served by the feed index; `undefined` when there are not that many.
 * The caller reads that event's position from the store: a store-handed position to resume after.
 */
export async function eventBack(
  db: Db,
  dialect: 'sqlite' | 'postgres' | 'mysql',
  offset: number,
  tenantId: string | undefined,
): Promise<{ streamId: string; version: number } | undefined> {
  let select = db.selectFrom('eventsmith_events').select(['stream_id', 'version']);
  if (dialect === 'postgres') select = select.orderBy('tx_id', 'desc');
  select = select.orderBy('position', 'desc').limit(1).offset(offset);
  if (tenantId !== undefined) select = select.where('tenant_id', '=', tenantId);
  const row = (await select.executeTakeFirst()) as { stream_id: string; version: number | string } | undefined;
  return row === undefined ? undefined : { streamId: row.stream_id, version: Number(row.version) };
}

// '!' escapes: a backslash would need different quoting on PostgreSQL, MariaDB and SQLite.
function like(pattern: string) {
  return sql<boolean>`stream_id like ${pattern} escape '!'`;
}

function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}
