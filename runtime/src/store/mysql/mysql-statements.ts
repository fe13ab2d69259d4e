// The hand-written SQL of MysqlEventStore's appends: one multi-statement query, one round trip.
import { LastIsoText, canonicalIsoTime } from '../../events/iso-time.js';
import type { PreparedAppend } from '../sql/prepare-append.js';

const COLUMNS =
  'position, stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, ' +
  'occurred_at, actor_id, correlation_id, causation_id, metadata, data, stored_at';

/** One statement of a multi-statement query and its parameters. */
export interface Statement {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** An SQL expression for the row of an append's `i`-th event (0-based). */
export type RowSql = (i: number) => string;

/** What an append that committed gets back. */
export interface AppendOutcome {
  readonly version: number;
  readonly position: bigint;
}

/**
 * The stream step sets `variable` to the stream's new version when the expectation holds, and
 * leaves it NULL otherwise. The row lock it takes serialises appends to one stream; InnoDB re-reads
 * the committed row after waiting, so exactly one of several writers expecting the same version
 * passes. Assignments run left to right: `version` (which reads the old `tenant_id`) comes first.
 * Only the update form (an existing stream expected) can find no row, and then leaves `variable`
 * untouched (`mayMiss`): the caller sets it to NULL first, or checks ROW_COUNT().
 *
 * The event count is written into the text, as the allocation's is (`takePositions`): it is part of
 * the statement's shape anyway (one row per event), and a prepared statement (a lone MariaDB
 * append: `MysqlEventStore.#write`) binds a JavaScript number as a DOUBLE, which would turn the
 * version arithmetic into floating point.
 *
 * Measured and not used: no stream row, the expectation checked against the stream's
 * `max(version)` in the events (the allocation's condition), the UNIQUE(stream_id, version) key
 * refusing the loser of a race. Server thread CPU per append, the same statements otherwise,
 * alternating append by append (2 runs each): 10 events to a new stream 440/582 -> 491/602 µs,
 * one event to an existing stream 296/388 -> 308/370 µs. The lookup costs what the row write does.
 */
export function streamStep(append: PreparedAppend, variable: string): Statement & { readonly mayMiss: boolean } {
  const { expected, streamId, batchTenant } = append;
  const n = append.records.length;
  const view = append.viewTenant !== undefined;
  const own = view ? ' and tenant_id = ?' : '';
  const owner = view ? [append.viewTenant] : [];
  const tenant = `tenant_id = if(${variable} is null, tenant_id, if(tenant_id <=> ?, tenant_id, null))`;
  if (expected === 0 || expected === 'no_stream') {
    // A duplicate key error here means the stream exists: the caller reports the conflict.
    return {
      sql: `insert into eventsmith_streams (stream_id, version, tenant_id) values (?, ${variable} := ${n}, ?)`,
      parameters: [streamId, batchTenant],
      mayMiss: false,
    };
  }
  if (expected === 'any') {
    return {
      sql:
        `insert into eventsmith_streams (stream_id, version, tenant_id) values (?, ${variable} := ${n}, ?) on duplicate key update ` +
        `version = coalesce(${variable} := if(true${own}, version + ${n}, null), version), ${tenant}`,
      parameters: [streamId, batchTenant, ...owner, batchTenant],
      mayMiss: false,
    };
  }
  const check = expected === 'stream_exists' ? 'true' : 'version = ?';
  return {
    sql: `update eventsmith_streams set version = coalesce(${variable} := if(${check}${own}, version + ${n}, null), version), ${tenant} where stream_id = ?`,
    parameters: [...(expected === 'stream_exists' ? [] : [expected]), ...owner, batchTenant, streamId],
    mayMiss: true,
  };
}

/** The stream's version after `append` when its expectation says it, else undefined (read it back). */
export function knownVersion(append: PreparedAppend): number | undefined {
  const { expected } = append;
  if (expected === 'no_stream') return append.records.length;
  return typeof expected === 'number' ? expected + append.records.length : undefined;
}

/**
 * The rows of `append`'s events (`(…), (…)`, for {@link insertEvents}), the one row builder of
 * lone appends and group commit members: each event's position and version are the SQL
 * expressions `position(i)` and `version(i)`, every other column a parameter. A NULL version (the
 * stream check failed) makes the NOT NULL column refuse the row (strict mode): the query stops
 * there and the caller rolls back.
 */
export function eventRows(append: PreparedAppend, position: RowSql, version: RowSql): Statement {
  const parameters: unknown[] = [];
  pushEventParameters(parameters, append);
  return { sql: eventRowsText(append.records.length, position, version), parameters };
}

/** The text of {@link eventRows} for `n` events. */
function eventRowsText(n: number, position: RowSql, version: RowSql): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`(${position(i)}, ?, ${version(i)}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  return rows.join(', ');
}

/** Appends the parameters of {@link eventRows} to `parameters`, event after event. */
function pushEventParameters(parameters: unknown[], append: PreparedAppend): void {
  const storedAt = storedText();
  append.records.forEach((r, i) => {
    parameters.push(
      append.streamId,
      r.eventId,
      r.eventType,
      r.eventVersion,
      r.aggregateType,
      r.aggregateId,
      r.tenantId,
      occurredText(r.occurredAt),
      r.actorId,
      r.correlationId,
      r.causationId,
      append.metadataJson[i],
      append.dataJson[i],
      storedAt,
    );
  });
}

/** One insert of the rows of one or more appends ({@link eventRows}), in order. */
export function insertEvents(rows: readonly Statement[]): Statement {
  return {
    sql: `insert into eventsmith_events (${COLUMNS}) values ${rows.map((r) => r.sql).join(', ')}`,
    parameters: rows.flatMap((r) => r.parameters),
  };
}

/**
 * Takes `count` positions from the allocator row: its new value, the last position taken, is the
 * statement's LAST_INSERT_ID() (in its OK packet, and for the statements after it). Updating the
 * row locks it until commit (see `appendBody`).
 */
export function takePositions(count: number, condition = ''): Statement {
  return {
    sql: `update eventsmith_positions set value = last_insert_id(value + ${count}) where id = 1${condition}`,
    parameters: [],
  };
}

/** The last position a `takePositions` statement took, from its OK packet; undefined if it took none. */
export function positionsTaken(result: unknown): bigint | undefined {
  const { affectedRows, insertId } = (result ?? {}) as { affectedRows?: unknown; insertId?: unknown };
  if (Number(affectedRows) !== 1 || insertId === undefined || insertId === null) return undefined;
  return BigInt(String(insertId));
}

/** A lone append's statements (to run inside a transaction or savepoint), and how to read its outcome. */
export interface AppendBody {
  readonly sql: string;
  /** `sql` and its compound form, shared by the appends of one shape (see `appendTexts`). */
  readonly texts: AppendTexts;
  readonly parameters: unknown[];
  /** The outcome from the results of `sql`'s statements, in order; undefined when the check failed. */
  readonly outcome: (results: readonly unknown[]) => AppendOutcome | undefined;
  /**
   * The outcome from the result of {@link compoundTransaction}: undefined when the check failed,
   * `position: undefined` when the OK packet does not report it (read `last_insert_id()` then).
   */
  readonly compoundOutcome: (result: unknown) => { version: number; position: bigint | undefined } | undefined;
}

/**
 * The append body: stream check, position allocation, events insert, and, when the expectation
 * does not say the new version (`any`, `stream_exists`), a row with it. The position comes back in
 * the allocation's OK packet, so an expected version needs no outcome row.
 *
 * Positions come from the one-row `eventsmith_positions` table, not AUTO_INCREMENT: AUTO_INCREMENT
 * hands out values at insert time, so a transaction holding position 10 can commit after one
 * holding 11, and a reader that already moved past 11 would skip 10. Updating the allocator row
 * takes its lock until commit, so the next appender gets its positions only after this one commits
 * (InnoDB releases row locks once the commit is visible): positions are handed out in commit
 * order, and "read after position P" never skips. The price is that appends serialise from their
 * allocation to their commit; the allocation comes after the stream step to keep that short.
 *
 * The server answers each statement of the query with an OK packet of its own, flushed as it
 * goes (strace of its thread: 4.8 socket writes per lone single-event append against the raw
 * insert's 1), and the client wakes for most of them. On MariaDB a lone append therefore sends
 * its transaction as one compound statement ({@link compoundTransaction}); group commit batches
 * (which need to know the statement that failed) and appends inside `transaction()` keep the
 * multi-statement query. With the position read back as a result set, the compound form had cost
 * the server more than it saved: single-event appends, each form on its own connection,
 * alternating append by append (4 runs, machine at load 9-13): application thread -80 to -157 µs
 * per append, server thread +26 to +54 µs, mean wall -4% to +11%; 8 concurrent writers (group
 * commit batches as compound statements, 2 runs): application -13% and -16%, server +0-3%, wall
 * -3.5% and +3%.
 */
export function appendBody(append: PreparedAppend): AppendBody {
  const stream = streamStep(append, '@es_v');
  const version = knownVersion(append);
  const parameters = stream.parameters.slice();
  pushEventParameters(parameters, append);
  const at = 1; // the allocation's place
  const texts = bodyText(stream, append.records.length, version === undefined);
  return {
    sql: texts.body,
    texts,
    parameters,
    outcome: (results) => {
      const position = positionsTaken(results[at]);
      if (position === undefined) return undefined;
      const read = version ?? (results[at + 2] as { version: unknown }[] | undefined)?.[0]?.version;
      if (read === undefined || read === null) return undefined;
      return { version: Number(read), position };
    },
    compoundOutcome: (result) => {
      // One result set (the version's row) and the block's OK packet, or the OK packet alone.
      const [rows, ok] = version === undefined ? (result as [{ version: unknown }[], unknown]) : [undefined, result];
      const read = version ?? rows?.[0]?.version;
      if (read === undefined || read === null) return undefined;
      const tracked = (ok as { stateChanges?: { systemVariables?: Record<string, string> } } | undefined)?.stateChanges
        ?.systemVariables?.[TRACKED_POSITION];
      return { version: Number(read), position: tracked === undefined ? undefined : BigInt(tracked) };
    },
  };
}

/**
 * Append texts by stream step text (which says the event count, the kind of expectation and
 * whether a tenant view appends: everything the rest of the text depends on), for appends of up to
 * {@link CACHED_TEXT_EVENTS} events. The text of a 10-event append had been built anew each time
 * (38 µs of the application's time per append in a CPU profile, 8,000 appends). Bounded by
 * 16 event counts × 8 stream steps.
 */
const appendTexts = new Map<string, AppendTexts>();
const CACHED_TEXT_EVENTS = 16;

/** The texts of one shape of append: {@link AppendBody.sql}, and its {@link compoundTransaction} once asked for. */
export interface AppendTexts {
  readonly body: string;
  compound: string | undefined;
}

/** {@link appendBody}'s text: `stream`, the allocation, the events insert and, when `readVersion`, the version's select. */
function bodyText(stream: Statement & { readonly mayMiss: boolean }, n: number, readVersion: boolean): AppendTexts {
  const cached = appendTexts.get(stream.sql);
  if (cached !== undefined) return cached;
  // An update that found no stream row leaves `@es_v` as an earlier append on this connection
  // set it: ROW_COUNT() (of the statement before) tells, so the allocation and the rows check it
  // rather than a statement setting `@es_v` to NULL first. (With FOUND_ROWS, a row whose check
  // failed counts 1, and `@es_v` is NULL.)
  const found = stream.mayMiss ? ' and row_count() > 0' : '';
  // `cast(… as signed)`: LAST_INSERT_ID() is unsigned, and the first rows lie below it.
  const rows = eventRowsText(
    n,
    (i) => `cast(last_insert_id() as signed) + ${i + 1 - n}`,
    stream.mayMiss ? (i) => `if(row_count() > 0, @es_v + ${i + 1 - n}, null)` : (i) => `@es_v + ${i + 1 - n}`,
  );
  const statements = [
    stream.sql,
    takePositions(n, ` and @es_v is not null${found}`).sql,
    insertEvents([{ sql: rows, parameters: [] }]).sql,
    ...(readVersion ? ['select @es_v as version'] : []),
  ];
  const texts: AppendTexts = { body: statements.join(';\n'), compound: undefined };
  if (n <= CACHED_TEXT_EVENTS) appendTexts.set(stream.sql, texts);
  return texts;
}

/**
 * The session variable that carries a compound append's last position back: every store
 * connection has MariaDB report its changes in OK packets (session tracking, see
 * `createMysqlDatabase`), and mysql2 reads them into the packet's `stateChanges`.
 */
export const TRACKED_POSITION = 'last_insert_id';

/**
 * A lone append's transaction as one MariaDB compound statement (`begin not atomic … end`): the
 * server answers it with one OK packet, where a multi-statement query answers each of its five
 * statements with one, flushed as it goes, and the client wakes for most of them. The
 * allocation's LAST_INSERT_ID(), which the block's OK packet does not carry, comes back in it as
 * the tracked variable its last statement sets. A statement that fails ends the block there, its
 * transaction open (the caller rolls back), as it ends a multi-statement query.
 *
 * Measured against the five-statement query, two stores (one of each) in one process taking
 * turns, 30 rounds, application thread and the server thread of each store's connection from
 * /proc schedstat (machine at load 3-4): W1 (one event, 5 appends to each of 40 streams a round)
 * application 218 -> 144 µs per append (lower in 30/30), server 299 -> 269 (25/30), wall 576 ->
 * 526 (20/30); W2 (10 events to a new stream) application 347 -> 271 and 297 -> 248 (29/30,
 * 26/30), server 459 -> 485 and 430 -> 441 (11/30, 15/30: no gain), wall 1123 -> 1011 and
 * 1415 -> 1717 (16/30, 11/30: noise). Statements alone on one connection each (W1): the block
 * without any way to read the position 297 µs against 342, with the tracked variable 304 (lower
 * than the query in 13/16), with `select last_insert_id()` (a result set) 319. The server parses
 * a compound statement at a higher cost per byte than the same statements sent apart (perf of its
 * thread, 10-event appends: parsing 0.40 -> 0.64 of the samples an append takes, sending 0.37 ->
 * 0.10), so the server's gain shrinks as the text grows: 12 rounds each, single event -29 µs
 * (12/12), with a 1 KB payload -13 (7/12), with 4 KB +8 (2/12); 3 events -16 (11/12), 10 events
 * -4 (6/12). The application's gain (one wake-up instead of four or five) does not. MySQL has no
 * compound statements outside stored programs: there, appends keep the multi-statement query.
 */
export function compoundTransaction(body: AppendBody): string {
  const { texts } = body;
  return (texts.compound ??= `begin not atomic start transaction;\n${texts.body};\ncommit;\nset ${TRACKED_POSITION} = last_insert_id();\nend`);
}

/**
 * `mysqlTimestamp` of the ISO text `iso`, remembered for the next call: the events of an append
 * are mostly made in the same millisecond (10-event appends: 10 Dates parsed and printed again,
 * 8 µs of the application's time per append in a CPU profile). Text in `toISOString`'s form (how
 * records carry times) is that text already, up to the `T` and the `Z`: no Date to parse and print.
 */
function occurredText(iso: string): string {
  if (lastOccurred?.iso !== iso) {
    const text = Number.isNaN(canonicalIsoTime(iso))
      ? mysqlTimestamp(new Date(iso))
      : iso.slice(0, 23).replace('T', ' ');
    lastOccurred = { iso, text };
  }
  return lastOccurred.text;
}
let lastOccurred: { readonly iso: string; readonly text: string } | undefined;

/** The stored time of each append, written from the ISO text of the day's last one (see `LastIsoText`). */
const storedTexts = new LastIsoText();

/** `mysqlTimestamp(new Date())`. */
function storedText(): string {
  return storedTexts.of(new Date()).slice(0, 23).replace('T', ' ');
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
