// The hand-written SQL of MysqlEventStore's appends: one multi-statement query, one round trip.
import type { ExpectedVersion } from '../expected-version.js';
import type { PreparedAppend } from '../sql/prepare-append.js';

const COLUMNS =
  'position, stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, ' +
  'occurred_at, actor_id, correlation_id, causation_id, metadata, data, stored_at';

/**
 * The stream step sets `@es_v` to the stream's new version when the expectation holds, and leaves
 * it NULL otherwise. The row lock it takes serialises appends to one stream; InnoDB re-reads the
 * committed row after waiting, so exactly one of several writers expecting the same version
 * passes. Assignments run left to right: `version` (which reads the old `tenant_id`) comes first.
 */
function streamStep(
  expected: ExpectedVersion,
  view: boolean,
): { sql: string; parameters: (append: PreparedAppend) => unknown[] } {
  const n = (a: PreparedAppend) => a.records.length;
  const own = view ? ' and tenant_id = ?' : '';
  const ownParameter = (a: PreparedAppend) => (view ? [a.viewTenant] : []);
  const tenant = 'tenant_id = if(@es_v is null, tenant_id, if(tenant_id <=> ?, tenant_id, null))';
  if (expected === 0 || expected === 'no_stream') {
    // A duplicate key error here means the stream exists: the caller reports the conflict.
    return {
      sql: 'insert into eventsmith_streams (stream_id, version, tenant_id) values (?, @es_v := ?, ?)',
      parameters: (a) => [a.streamId, n(a), a.batchTenant],
    };
  }
  if (expected === 'any') {
    return {
      sql:
        'insert into eventsmith_streams (stream_id, version, tenant_id) values (?, @es_v := ?, ?) on duplicate key update ' +
        `version = coalesce(@es_v := if(true${own}, version + ?, null), version), ${tenant}`,
      parameters: (a) => [a.streamId, n(a), a.batchTenant, ...ownParameter(a), n(a), a.batchTenant],
    };
  }
  const check = expected === 'stream_exists' ? 'true' : 'version = ?';
  return {
    sql: `update eventsmith_streams set version = coalesce(@es_v := if(${check}${own}, version + ?, null), version), ${tenant} where stream_id = ?`,
    parameters: (a) => [
      ...(expected === 'stream_exists' ? [] : [expected]),
      ...ownParameter(a),
      n(a),
      a.batchTenant,
      a.streamId,
    ],
  };
}

/**
 * The append body: stream check, position allocation, events insert, and a row with the outcome.
 *
 * Positions come from the one-row `eventsmith_positions` table, not AUTO_INCREMENT: AUTO_INCREMENT
 * hands out values at insert time, so a transaction holding position 10 can commit after one
 * holding 11, and a reader that already moved past 11 would skip 10. Updating the allocator row
 * takes its lock until commit, so the next appender gets its positions only after this one commits
 * (InnoDB releases row locks once the commit is visible): positions are handed out in commit
 * order, and "read after position P" never skips. The price is that appends serialise from their
 * allocation to their commit; the allocation is the last thing an append does to keep that short.
 */
export function appendBody(append: PreparedAppend): { sql: string; parameters: unknown[] } {
  const view = append.viewTenant !== undefined;
  const stream = streamStep(append.expected, view);
  const n = append.records.length;
  const storedAt = mysqlTimestamp(new Date());
  const rows: string[] = [];
  const parameters: unknown[] = [...stream.parameters(append), n];
  append.records.forEach((r, i) => {
    const k = i + 1 - n;
    // `@es_v` is NULL when the stream check failed: the NOT NULL version column then rejects the
    // row (strict mode), the batch stops, and the caller rolls back and reports the conflict.
    rows.push(`(cast(last_insert_id() as signed) + ${k}, ?, @es_v + ${k}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    parameters.push(
      append.streamId,
      r.eventId,
      r.eventType,
      r.eventVersion,
      r.aggregateType,
      r.aggregateId,
      r.tenantId,
      mysqlTimestamp(new Date(r.occurredAt)),
      r.actorId,
      r.correlationId,
      r.causationId,
      append.metadataJson[i],
      append.dataJson[i],
      storedAt,
    );
  });
  const sql = [
    'set @es_v = null',
    stream.sql,
    'update eventsmith_positions set value = last_insert_id(value + ?) where id = 1 and @es_v is not null',
    `insert into eventsmith_events (${COLUMNS}) values ${rows.join(', ')}`,
    'select @es_v as version, if(@es_v is null, null, last_insert_id()) as position',
  ].join(';\n');
  return { sql, parameters };
}

/**
 * An append as a member of a group commit batch (see `MysqlGroupCommit`): its stream step, and
 * its events insert numbering the rows on from `@es_p`, the batch's last position so far. The
 * batch around it resets `@es_v` before the stream step, reads and locks the allocator row once,
 * after its first member's stream step (streams first, then the allocator, as an append alone
 * takes them), and writes `@es_p` back to it before the commit: one allocator statement per
 * member less, and no outcome row per member (the batch reads all outcomes in one row).
 */
export function appendBatchSteps(append: PreparedAppend): {
  stream: { sql: string; parameters: unknown[] };
  insert: { sql: string; parameters: unknown[] };
} {
  const view = append.viewTenant !== undefined;
  const stream = streamStep(append.expected, view);
  const n = append.records.length;
  const storedAt = mysqlTimestamp(new Date());
  const rows: string[] = [];
  const parameters: unknown[] = [];
  append.records.forEach((r, i) => {
    const k = i + 1 - n;
    rows.push(`(@es_p := @es_p + 1, ?, @es_v + ${k}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    parameters.push(
      append.streamId,
      r.eventId,
      r.eventType,
      r.eventVersion,
      r.aggregateType,
      r.aggregateId,
      r.tenantId,
      mysqlTimestamp(new Date(r.occurredAt)),
      r.actorId,
      r.correlationId,
      r.causationId,
      append.metadataJson[i],
      append.dataJson[i],
      storedAt,
    );
  });
  return {
    stream: { sql: stream.sql, parameters: stream.parameters(append) },
    insert: { sql: `insert into eventsmith_events (${COLUMNS}) values ${rows.join(', ')}`, parameters },
  };
}

/** DATETIME(3) literal in UTC. */
export function mysqlTimestamp(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/** A DATETIME string as returned with `dateStrings` (UTC) back to ISO-8601. */
export function isoFromMysql(value: string | Date): string {
  if (value instanceof Date) return value.toISOString();
  return `${value.replace(' ', 'T')}${value.length === 19 ? '.000' : ''}Z`;
}

export const STREAM_STATE = 'select version, tenant_id from eventsmith_streams where stream_id = ?';
