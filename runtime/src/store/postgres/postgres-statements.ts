// The hand-written SQL of PostgresEventStore's hot paths. Each is one statement, sent as-is with
// numbered parameters, so an append costs one round trip whatever the batch size.
import type { ExpectedVersion } from '../expected-version.js';
import type { PreparedAppend } from '../sql/prepare-append.js';

/**
 * The feed horizon: rows whose writing transaction id (`tx_id`) is below it are final, because
 * every transaction that could still write to this database's tables has a higher id.
 *
 * `pg_snapshot_xmin(pg_current_snapshot())` alone would do, but it is the oldest transaction of
 * the whole cluster, so a long transaction in an unrelated database would stall the feed. We take
 * the statement snapshot's in-progress ids and drop those pg_stat_activity attributes to backends
 * of other databases (they cannot write here); anything unattributed (a prepared transaction, a
 * backend that finished since the snapshot, a hidden one) is kept, which only delays, never skips.
 */
export const HORIZON = `(select least(pg_snapshot_xmax(s), (
    select min(x) from pg_snapshot_xip(s) as x
    where (x::text::bigint % 4294967296) not in (
      select backend_xid::text::bigint from pg_stat_activity
      where backend_xid is not null and datid <> (select oid from pg_database where datname = current_database()))
  )) from (select pg_current_snapshot() as s) as snap)`;

const EVENT_ARRAYS = `unnest($6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::text[], $12::timestamptz[],
    $13::text[], $14::text[], $15::text[], $16::jsonb[], $17::jsonb[]) with ordinality
    as e(event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, occurred_at,
         actor_id, correlation_id, causation_id, metadata, data, ord)`;

/**
 * The stream row update for each kind of expectation, as the `stream` CTE (returning the new
 * version). It is the concurrency check: the row lock serialises appends to one stream, and a
 * writer that waited re-checks the condition against the winner's committed row (READ COMMITTED
 * re-evaluation), so exactly one of several writers expecting the same version gets a row back.
 * `last_tx <= pg_current_xact_id()` keeps a stream's events in feed order: an append from a
 * transaction older than the stream's last writer would sort before that writer's events, so it
 * is refused (and retried in a new transaction). `guard` (a condition) and `split` are
 * {@link AppendStatementOptions.refuse}'s.
 */
function streamStep(expected: ExpectedVersion, view: boolean, guard: string | undefined, split: boolean): string {
  const tenant = `tenant_id = case when s.tenant_id = $4 then s.tenant_id else null end`;
  const own = view ? ' and s.tenant_id = $5' : '';
  // The new stream row; behind a guard, selected (with the types VALUES would take from the columns).
  const row = guard
    ? `select $1::text, $2::int, $4::text, pg_current_xact_id() where ${guard}`
    : `values ($1, $2, $4, pg_current_xact_id())`;
  const update = (versionCheck: string) => `update eventsmith_streams as s set version = s.version + $2,
      last_tx = pg_current_xact_id(), ${tenant}
      where s.stream_id = $1${versionCheck} and s.last_tx <= pg_current_xact_id()${own}${guard ? ` and ${guard}` : ''}
      returning s.version`;
  if (expected === 0 || expected === 'no_stream') {
    return `stream as (insert into eventsmith_streams (stream_id, version, tenant_id, last_tx)
      ${row} on conflict (stream_id) do nothing returning version)`;
  }
  if (expected === 'any' && split) {
    // The statement's snapshot does not see a row `created` inserts, so at most one part writes.
    return `created as (insert into eventsmith_streams (stream_id, version, tenant_id, last_tx)
      ${row} on conflict (stream_id) do nothing returning version),
  updated as (${update('')}),
  stream as (select version from created union all select version from updated)`;
  }
  if (expected === 'any') {
    return `stream as (insert into eventsmith_streams as s (stream_id, version, tenant_id, last_tx)
      ${row}
      on conflict (stream_id) do update set version = s.version + excluded.version, last_tx = excluded.last_tx, ${tenant}
      where s.last_tx <= excluded.last_tx${own} returning version)`;
  }
  return `stream as (${update(expected === 'stream_exists' ? '' : ' and s.version = $3')})`;
}

/** Variants of {@link appendStatement}. */
export interface AppendStatementOptions {
  /**
   * The row also says what the stream held when the statement started (`actual`,
   * `actual_tenant`), so an append refused inside a group commit is explained without another
   * round trip.
   */
  readonly withState?: boolean;
  /**
   * For an append inside the caller's transaction, where a failing statement would abort the
   * whole transaction (every later statement fails with "current transaction is aborted", and
   * COMMIT rolls back): the statement refuses what it can see instead of failing on it, and then
   * writes nothing, without a savepoint (a savepoint costs two round trips, and one that writes
   * takes a subtransaction id: past 64 of them in one transaction, every snapshot taken in the
   * cluster while it runs is "suboverflowed" and slow).
   * - An event id already stored, as the statement's snapshot sees it: the stream step does not
   *   run, and the row names the id (`duplicate`).
   * - `'hidden-streams'` (a tenant view under row-level security): an `'any'` append to a stream
   *   the policies hide would fail on ON CONFLICT DO UPDATE (a policy violation on a row it may
   *   not update), so the new stream row is inserted doing nothing on a conflict, and a visible
   *   one is updated apart.
   * An event id inserted by a transaction that has not committed when the statement starts is not
   * visible: the insert waits for that transaction and, if it commits, fails (unique violation).
   */
  readonly refuse?: 'visible' | 'hidden-streams';
}

/** Default channel every append notifies (`pg_notify`), for `LISTEN`-based subscription wake-ups. */
export const APPEND_NOTIFY_CHANNEL = 'eventsmith_events';

/**
 * The append: stream check-and-update plus a multi-row insert of every event, in one statement.
 * (Listeners are notified after commit, by `PostgresAppendNotifier`.) See
 * {@link AppendStatementOptions} for the variants.
 */
export function appendStatement(
  expected: ExpectedVersion,
  view: boolean,
  partitioned: boolean,
  options: AppendStatementOptions = {},
): string {
  const { withState = false, refuse } = options;
  const ids = partitioned
    ? `, ids as (insert into eventsmith_event_ids (event_id, stream_id) select e.event_id, $1 from stream, unnest($6::text[]) as e(event_id))`
    : '';
  // One unique-index probe per id (the lateral's limit keeps it a nested loop): a generic plan made
  // on the new, empty table uses the index, where `= any($6)` got a sequential scan kept until the
  // table was analyzed. (On a table vacuumed while empty, every lookup here, the stream row's too,
  // is planned as a sequential scan until autovacuum analyzes it.)
  const taken = refuse
    ? `taken as (select t.event_id from unnest($6::text[]) as u(id) cross join lateral (
        ${takenId(partitioned, 'u.id')}) as t limit 1),
  `
    : '';
  const guard = refuse ? 'not exists (select from taken)' : undefined;
  return `with ${taken}${streamStep(expected, view, guard, refuse === 'hidden-streams')}${ids},
  appended as (
    insert into eventsmith_events (stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id,
      tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data)
    select $1, stream.version - $2 + e.ord, e.event_id, e.event_type, e.event_version, e.aggregate_type, e.aggregate_id,
      e.tenant_id, e.occurred_at, e.actor_id, e.correlation_id, e.causation_id, e.metadata, e.data
    from stream, ${EVENT_ARRAYS}
    returning position
  )
  select (select version from stream) as version, (select max(position) from appended)::text as position,
    pg_current_xact_id()::text as tx,${
      withState
        ? `
    (select version from eventsmith_streams where stream_id = $1) as actual,
    (select tenant_id from eventsmith_streams where stream_id = $1) as actual_tenant,`
        : ''
    }${
      refuse
        ? `
    (select event_id from taken) as duplicate,`
        : ''
    }
    -- Every parameter is referenced, so each has a type whichever variant this is.
    $3::int is null as no_expected, $5::text is null as no_view`;
}

/**
 * {@link appendStatement} for an append of one event (most appends): the event's fields are
 * scalar parameters ({@link appendOneParameters}) and the insert returns the row itself, where the
 * general statement unpacks twelve arrays and selects from its CTEs. Same checks, same rows, the
 * same `tx_id` (the column's default, `pg_current_xact_id()`); a refused append returns no row
 * (the `refuse` variant: a row whose `version` and `position` are null).
 * Server CPU per single-event append, W1 pattern, backend /proc utime+stime, 40 alternating
 * rounds of 400: 186 µs for the general statement, 162 for this one (a plain insert of the same
 * row with the driver's unnamed statement: 166).
 */
export function appendOneStatement(
  expected: ExpectedVersion,
  view: boolean,
  partitioned: boolean,
  refuse?: AppendStatementOptions['refuse'],
): string {
  const ids = partitioned
    ? `, ids as (insert into eventsmith_event_ids (event_id, stream_id) select $6, $1 from stream)`
    : '';
  const insert = `insert into eventsmith_events (stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id,
    tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data)
  select $1, stream.version, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17 from stream`;
  // Every parameter is referenced, so each has a type whichever variant this is.
  const typed = '$3::int is null as no_expected, $5::text is null as no_view';
  if (!refuse) {
    return `with ${streamStep(expected, view, undefined, false)}${ids}
  ${insert}
  returning version, position::text as position, tx_id::text as tx, ${typed}`;
  }
  // The refusing variant (see AppendStatementOptions.refuse) always returns a row. Its id check
  // (`takenId`) reads the id's unique index, in a generic plan made on the new, empty table too.
  return `with taken as (${takenId(partitioned, '$6::text')}),
  ${streamStep(expected, view, 'not exists (select from taken)', refuse === 'hidden-streams')}${ids},
  appended as (${insert}
    returning version, position, tx_id)
  select a.version, a.position::text as position, a.tx_id::text as tx, (select event_id from taken) as duplicate, ${typed}
  from (select) as one left join appended as a on true`;
}

/**
 * The stored event id `id` (an expression), if the statement's snapshot sees it: a probe of the
 * id's unique index, whatever the table's statistics say. Under row-level security the policy adds
 * `tenant_id = current_setting(…)` to this read, which the tenant's index serves too; on a new,
 * never analyzed table both cost the same to the planner, and the generic plan a tenant view's
 * connection made then read the tenant's index (every event of the tenant, filtered by id) and
 * kept it as the table grew. So the row is asked for in id order, which only the id's index gives
 * without a sort: any other path costs a sort more. (`= any(array[…])` rather than `=`, as the
 * planner drops an order on a column equated to a value, and the tie stands.) At 30k events, 10k
 * of them the tenant's, server CPU per transaction of a tenant view appending one event was
 * 2.4 ms on the tenant's index, 0.34 ms on the id's (two events: 4.6 ms, 0.41 ms).
 */
function takenId(partitioned: boolean, id: string): string {
  const table = partitioned ? 'eventsmith_event_ids' : 'eventsmith_events';
  return `select event_id from ${table} where event_id = any(array[${id}]) order by event_id limit 1`;
}

/** The parameters of {@link appendOneStatement}: those of {@link appendParameters}, the event's as scalars. */
export function appendOneParameters(append: PreparedAppend): unknown[] {
  const e = append.records[0]!;
  return [
    ...streamParameters(append),
    e.eventId,
    e.eventType,
    e.eventVersion,
    e.aggregateType,
    e.aggregateId,
    e.tenantId,
    e.occurredAt,
    e.actorId,
    e.correlationId,
    e.causationId,
    append.metadataJson[0],
    append.dataJson[0],
  ];
}

/** $1-$5 of both append statements: the stream, the event count, the expectation and the tenants. */
function streamParameters(append: PreparedAppend): unknown[] {
  return [
    append.streamId,
    append.records.length,
    typeof append.expected === 'number' ? append.expected : null,
    append.batchTenant,
    append.viewTenant ?? null,
  ];
}

export function appendParameters(append: PreparedAppend): unknown[] {
  const r = append.records;
  return [
    ...streamParameters(append),
    r.map((e) => e.eventId),
    r.map((e) => e.eventType),
    r.map((e) => e.eventVersion),
    r.map((e) => e.aggregateType),
    r.map((e) => e.aggregateId),
    r.map((e) => e.tenantId),
    r.map((e) => e.occurredAt),
    r.map((e) => e.actorId),
    r.map((e) => e.correlationId),
    r.map((e) => e.causationId),
    append.metadataJson,
    append.dataJson,
  ];
}

export const STREAM_STATE = 'select version, tenant_id from eventsmith_streams where stream_id = $1';

/** Feed positions pack (tx_id, position) into one ordered number: tx_id in the high 64 bits. */
export function packPosition(tx: string | bigint, position: string | bigint): bigint {
  return (BigInt(tx) << 64n) | BigInt(position);
}

export function unpackPosition(value: bigint): { tx: string; position: string } {
  return { tx: (value >> 64n).toString(), position: (value & 0xffff_ffff_ffff_ffffn).toString() };
}

/** How `BATCH_APPEND` treats a member's expectation. */
const BatchKind = { noStream: 0, any: 1, exists: 2, exact: 3 } as const;
type BatchKind = (typeof BatchKind)[keyof typeof BatchKind];

function batchKind(expected: ExpectedVersion): BatchKind {
  return expected === 0 || expected === 'no_stream'
    ? BatchKind.noStream
    : expected === 'any'
      ? BatchKind.any
      : expected === 'stream_exists'
        ? BatchKind.exists
        : BatchKind.exact;
}

/**
 * The stream step of both batch statements, given the member CTE `m` (with `actual`, the stream's
 * version when the statement started, or null), each member's event count `n`, and the parameters
 * that hold the members' kinds, expected versions and view tenants (indexed like the stream ids, `$1`).
 */
function batchStreamStep(n: string, kinds: string, versions: string, views: string): string {
  const at = (array: string) => `${array}[array_position($1, excluded.stream_id)]`;
  return `stream as (
    insert into eventsmith_streams as s (stream_id, version, tenant_id, last_tx)
    select m.stream_id, ${n}, m.batch_tenant, pg_current_xact_id() from m
    where m.kind = ${BatchKind.any} or (m.kind = ${BatchKind.noStream}) = (m.actual is null)
    order by m.i
    on conflict (stream_id) do update set version = s.version + excluded.version, last_tx = excluded.last_tx,
      tenant_id = case when s.tenant_id = excluded.tenant_id then s.tenant_id else null end
    where s.last_tx <= excluded.last_tx
      and ${at(kinds)} <> ${BatchKind.noStream}
      and (${at(kinds)} <> ${BatchKind.exact} or s.version = ${at(versions)})
      and (${at(views)} is null or s.tenant_id = ${at(views)})
    returning s.stream_id, s.version
  )`;
}

/**
 * Each member's stream row as the statement's snapshot has it, looked up by key: one index probe
 * per member (the `limit` keeps it a nested loop whatever the statistics say), where an `exists`
 * test and a join were planned on the new, never analyzed table as a hash of the whole table,
 * scanned on every batch.
 */
const STREAM_BEFORE = `left join lateral (
      select x.version, x.tenant_id from eventsmith_streams as x where x.stream_id = m.stream_id limit 1
    ) as cur on true`;

/**
 * A group commit's batch as one statement: every member's stream check-and-update and every
 * event, for members of distinct streams (`batchAppendParameters`). Each member keeps its own
 * expectation, as {@link appendStatement} checks it: `no_stream` (or 0) inserts the stream row,
 * `any` inserts or updates it, `stream_exists` and an exact version update a row that exists
 * (a stream row is never deleted, so one the snapshot has is there to conflict with), each under
 * the `last_tx` feed-order rule and a view's tenant check. The insert takes the members in their
 * order (by stream id), so stream locks are taken in that order, as the per-member statements
 * take them. A refused member writes nothing (its events join no stream row). One row per member,
 * in member order: the new version and last position, or nulls and the stream's state when the
 * statement started (`actual`, `actual_tenant`), as `appendStatement(…, { withState: true })` returns.
 * {@link BATCH_APPEND_ONE} is the same for batches whose members append one event each.
 */
export const BATCH_APPEND = `with m as (
    select m.*, cur.version as actual, cur.tenant_id as actual_tenant
    from unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[]) with ordinality
      as m(stream_id, n, expected, kind, batch_tenant, view_tenant, i)
    ${STREAM_BEFORE}
  ),
  ${batchStreamStep('m.n', '$4', '$3', '$6')},
  appended as (
    insert into eventsmith_events (stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id,
      tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data)
    select m.stream_id, stream.version - m.n + e.k, e.event_id, e.event_type, e.event_version, e.aggregate_type,
      e.aggregate_id, e.tenant_id, e.occurred_at, e.actor_id, e.correlation_id, e.causation_id, e.metadata, e.data
    from unnest($7::int[], $8::int[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[], $14::text[],
        $15::timestamptz[], $16::text[], $17::text[], $18::text[], $19::jsonb[], $20::jsonb[]) with ordinality
      as e(member, k, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, occurred_at,
           actor_id, correlation_id, causation_id, metadata, data, ord)
    join m on m.i = e.member
    join stream on stream.stream_id = m.stream_id
    order by e.ord
    returning stream_id, position
  )
  select stream.version, a.position::text as position, pg_current_xact_id()::text as tx, m.actual, m.actual_tenant
  from m
  left join stream on stream.stream_id = m.stream_id
  left join (select stream_id, max(position) as position from appended group by stream_id) as a
    on a.stream_id = m.stream_id
  order by m.i`;

/** The parameters of `BATCH_APPEND` for `appends`, each of a different stream. */
export function batchAppendParameters(appends: readonly PreparedAppend[]): unknown[] {
  const streams: string[] = [];
  const counts: number[] = [];
  const members: number[] = [];
  const ks: number[] = [];
  const member = memberColumns();
  const events = eventColumns();
  appends.forEach((append, m) => {
    streams.push(append.streamId);
    counts.push(append.records.length);
    member.push(append);
    for (let k = 0; k < append.records.length; k++) {
      members.push(m + 1);
      ks.push(k + 1);
      events.push(append, k);
    }
  });
  const [versions, kinds, tenants, views] = member.columns;
  return [streams, counts, versions, kinds, tenants, views, members, ks, ...events.columns];
}

/** A batch member's expectation, tenants and view as the batch statements' arrays take them. */
function memberColumns() {
  const columns: [(number | null)[], BatchKind[], (string | null)[], (string | null)[]] = [[], [], [], []];
  return {
    columns,
    push(append: PreparedAppend): void {
      const { expected } = append;
      columns[0].push(typeof expected === 'number' && expected > 0 ? expected : null);
      columns[1].push(batchKind(expected));
      columns[2].push(append.batchTenant);
      columns[3].push(append.viewTenant ?? null);
    },
  };
}

/** The event columns of the batch statements' arrays, one entry per event. */
function eventColumns() {
  const columns: unknown[][] = Array.from({ length: 12 }, () => []);
  return {
    columns,
    push(append: PreparedAppend, k: number): void {
      const e = append.records[k]!;
      columns[0]!.push(e.eventId);
      columns[1]!.push(e.eventType);
      columns[2]!.push(e.eventVersion);
      columns[3]!.push(e.aggregateType);
      columns[4]!.push(e.aggregateId);
      columns[5]!.push(e.tenantId);
      columns[6]!.push(e.occurredAt);
      columns[7]!.push(e.actorId);
      columns[8]!.push(e.correlationId);
      columns[9]!.push(e.causationId);
      columns[10]!.push(append.metadataJson[k]);
      columns[11]!.push(append.dataJson[k]);
    },
  };
}

/**
 * {@link BATCH_APPEND} for a batch whose members append one event each (most batches): each
 * member's event is in the member's own row (`batchAppendOneParameters`), so the statement
 * unpacks one set of arrays instead of two and joins, groups and sorts less. Same checks, same
 * rows, same stream lock order.
 */
export const BATCH_APPEND_ONE = `with m as (
    select m.*, cur.version as actual, cur.tenant_id as actual_tenant
    from unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[],
        $10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::text[], $15::text[], $16::jsonb[], $17::jsonb[])
      with ordinality as m(stream_id, expected, kind, batch_tenant, view_tenant, event_id, event_type, event_version,
        aggregate_type, aggregate_id, tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data, i)
    ${STREAM_BEFORE}
  ),
  ${batchStreamStep('1', '$3', '$2', '$5')},
  appended as (
    insert into eventsmith_events (stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id,
      tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data)
    select m.stream_id, stream.version, m.event_id, m.event_type, m.event_version, m.aggregate_type, m.aggregate_id,
      m.tenant_id, m.occurred_at, m.actor_id, m.correlation_id, m.causation_id, m.metadata, m.data
    from m join stream on stream.stream_id = m.stream_id
    order by m.i
    returning stream_id, position
  )
  select stream.version, a.position::text as position, pg_current_xact_id()::text as tx, m.actual, m.actual_tenant
  from m
  left join stream on stream.stream_id = m.stream_id
  left join appended as a on a.stream_id = m.stream_id
  order by m.i`;

/** The parameters of `BATCH_APPEND_ONE` for `appends`, each of a different stream and of one event. */
export function batchAppendOneParameters(appends: readonly PreparedAppend[]): unknown[] {
  const streams: string[] = [];
  const member = memberColumns();
  const events = eventColumns();
  for (const append of appends) {
    streams.push(append.streamId);
    member.push(append);
    events.push(append, 0);
  }
  const [versions, kinds, tenants, views] = member.columns;
  return [streams, versions, kinds, tenants, views, ...events.columns];
}
