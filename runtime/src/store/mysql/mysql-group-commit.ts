import type { AppendResult } from '../event-store.js';
import type { PreparedAppend } from '../sql/prepare-append.js';
import { uniqueViolation } from '../sql/unique-violation.js';
import { GroupCommitQueue, type GroupCommitMember, type GroupCommitWaiting } from '../sql/group-commit-queue.js';
import type { MysqlExecute, MysqlRun } from './mysql-query.js';
import { statementsCompleted } from './mysql-query.js';
import {
  eventRows,
  insertEvents,
  knownVersion,
  positionsTaken,
  streamStep,
  takePositions,
  TRACKED_POSITION,
  type AppendOutcome,
} from './mysql-statements.js';

/** One append waiting for a group commit, as `MysqlEventStore` hands it over. */
export interface MysqlGroupMember extends GroupCommitMember {
  readonly append: PreparedAppend;
  /** The append's result once the shared transaction has committed. */
  readonly result: (outcome: AppendOutcome) => AppendResult;
}

/** What {@link MysqlGroupCommit} needs from its store. */
export interface MysqlGroupCommitSteps {
  /** Lends one pooled connection to `fn` for the length of a batch. */
  readonly withConnection: <T>(fn: (run: MysqlRun, execute: MysqlExecute) => Promise<T>) => Promise<T>;
  /** Maps a lost connection to the store's error. */
  readonly unavailable: (error: unknown) => unknown;
  /**
   * Whether a batch may go as a prepared compound statement (MariaDB; see {@link #compound}),
   * shared with the store's lone appends: turned off for good once the server says it cannot
   * prepare one.
   */
  readonly prepared: { on: boolean };
}

type Waiting = GroupCommitWaiting<MysqlGroupMember>;
/** A committed batch: the last position it took, and the versions its expectations did not say (`v<i>`). */
interface Outcome {
  readonly last: bigint | undefined;
  readonly read: Record<string, unknown> | undefined;
}

/**
 * How long (s) a batch waits for a lock (another transaction's, on a stream or the allocator row)
 * before it ends and its member goes on alone, so it never holds up its neighbours for longer.
 */
const LOCK_WAIT_S = 1;
/** Back to the server's lock wait. */
const RESTORE_LOCK_WAIT = 'set session innodb_lock_wait_timeout = @@global.innodb_lock_wait_timeout';
/** Statements before the first member's stream step: the batch's `set` and `start transaction`. */
const HEAD = 2;
/**
 * Batch shapes (see {@link MysqlGroupCommit.#compound}) a store sends as prepared statements; the
 * others go as text. Each connection prepares the shapes it runs, so this bounds the statements a
 * store keeps prepared on the server (with the lone appends' 128 per connection) well below the
 * server's `max_prepared_stmt_count` (16,382 by default, for all connections together).
 */
const PREPARED_BATCH_SHAPES = 64;
/** Larger batches go as text, which keeps the texts {@link MysqlGroupCommit} remembers short. */
const PREPARED_BATCH_EVENTS = 64;
const LOCK_WAIT_TIMEOUT = 1205;
/** As for a lone append: too many prepared statements (1461, for now), or not this kind of statement (for good). */
const CANNOT_PREPARE = new Set([1461, 1295, 1064]);
const LAST_POSITION = 'select last_insert_id() as position';

/**
 * Group commit for `MysqlEventStore` appends made outside a transaction: appends that arrive
 * while another is being written share one transaction, sent as one multi-statement query (on
 * MariaDB first as one prepared compound statement, see {@link MysqlGroupCommit.#compound}), so
 * one round trip, one turn of the position allocator and one commit (one redo log flush) cover all
 * of them. When batches form and how many fly at once is {@link GroupCommitQueue}'s.
 *
 * - A batch is `start transaction`, every member's stream step (sorted by stream id, so concurrent
 *   batches take stream locks in one order; members of one stream keep their order), then the
 *   allocator row, taken once for all the batch's events, then one insert of every member's
 *   events, `commit`. Each member keeps its own expected-version check (its own `@es_v<i>`), and
 *   sees the members before it. The allocator row is locked only after every stream lock is held,
 *   so a batch that waits for a stream holds up no other batch, and the next flight runs its
 *   stream steps while this one inserts (issue 15). One statement per member and six per batch;
 *   positions come back in the allocator's OK packet, versions the expectation does not say in
 *   one row.
 * - MariaDB stops a multi-statement query at the first statement that fails (a version conflict,
 *   a duplicate event id, a lock wait over {@link LOCK_WAIT_S} s, a deadlock): the batch is rolled
 *   back, the member that failed (its stream step, counted from the statements that answered, or
 *   in the events insert every member whose check failed, or the one that carries the duplicate
 *   id) is written on its own, so it gets the error or result it would have had alone, and the other
 *   members go back to the head of the queue.
 * - Results are handed out only after the commit. A connection lost in the middle fails every
 *   member with the store's unavailable error, as it would have failed each alone.
 *
 * Never-skip is unchanged: a batch takes its positions from the allocator row like any append and
 * holds its lock until the batch commits.
 */
export class MysqlGroupCommit extends GroupCommitQueue<MysqlGroupMember> {
  readonly #steps: MysqlGroupCommitSteps;
  /** The batch texts this store sends prepared (see {@link #compound}). */
  readonly #shapes = new Set<string>();

  constructor(steps: MysqlGroupCommitSteps) {
    super();
    this.#steps = steps;
  }

  protected async writeBatch(batch: Waiting[]): Promise<void> {
    const n = batch.length;
    const variable = (i: number) => `@es_v${i}`;
    const total = batch.reduce((sum, member) => sum + member.append.records.length, 0);
    const resets = batch.map((_, i) => `${variable(i)} = null`).join(', ');
    const statements = [`set session innodb_lock_wait_timeout = ${LOCK_WAIT_S}, ${resets}`, 'start transaction'];
    const parameters: unknown[] = [];
    for (const [i, { append }] of batch.entries()) {
      const stream = streamStep(append, variable(i));
      statements.push(stream.sql);
      parameters.push(...stream.parameters);
    }
    const take = takePositions(total);
    statements.push(take.sql);
    parameters.push(...take.parameters);
    const offsets: number[] = [];
    let offset = 0;
    const rows = batch.map(({ append }, i) => {
      const count = append.records.length;
      const first = offset + 1 - total; // the member's first position, from the last one taken
      offset += count;
      offsets.push(offset);
      return eventRows(
        append,
        (k) => `cast(last_insert_id() as signed) + ${first + k}`,
        (k) => `${variable(i)} + ${k + 1 - count}`,
      );
    });
    const insert = insertEvents(rows); // every member's events, in one statement
    statements.push(insert.sql);
    parameters.push(...insert.parameters);
    const unknown = batch.flatMap(({ append }, i) => (knownVersion(append) === undefined ? [i] : []));
    if (unknown.length > 0) statements.push(`select ${unknown.map((i) => `${variable(i)} as v${i}`).join(', ')}`);
    statements.push('commit', RESTORE_LOCK_WAIT);

    let settled: { results: unknown[] } | { failed: number[] } | { lost: unknown } | { done: Outcome };
    try {
      settled = await this.#steps.withConnection(async (run, execute) => {
        const done = await this.#compound(statements, parameters, unknown.length > 0, total, run, execute);
        if (done !== undefined) return 'last' in done ? { done } : done;
        try {
          return { results: (await run(statements.join(';\n'), parameters)) as unknown[] };
        } catch (error) {
          const completed = statementsCompleted(error);
          if (lostConnection(error) || completed === undefined) return { lost: error };
          // The members' variables outlive the rollback: a NULL one names a failed check.
          const versions = batch.map((_, i) => `${variable(i)} as v${i}`).join(', ');
          const after = (await run(`rollback;\n${RESTORE_LOCK_WAIT};\nselect ${versions}`, [])) as unknown[];
          const read = (after[2] as Record<string, unknown>[] | undefined)?.[0];
          return { failed: culprits(batch, completed, error, read) };
        }
      });
    } catch (error) {
      settled = { lost: error };
    }
    if ('lost' in settled) {
      const error = this.#steps.unavailable(settled.lost);
      for (const member of batch) member.reject(error);
      return;
    }
    if ('failed' in settled) {
      const failed = new Set(settled.failed);
      if (failed.size === 0) {
        // The batch's own statements failed (the allocator's lock wait), or the insert of every
        // member's events for a reason no member's variables or the error name: each goes alone.
        await Promise.all(batch.map((member) => this.alone(member)));
        return;
      }
      this.requeue(batch.filter((_, i) => !failed.has(i))); // they need not wait for them
      await Promise.all([...failed].map((i) => this.alone(batch[i]!)));
      return;
    }
    let last: bigint | undefined;
    let read: Record<string, unknown> | undefined;
    if ('done' in settled) {
      ({ last, read } = settled.done);
    } else {
      const { results } = settled;
      last = positionsTaken(results[HEAD + n]);
      read = unknown.length > 0 ? (results[HEAD + n + 2] as Record<string, unknown>[] | undefined)?.[0] : {};
    }
    const alone: Waiting[] = [];
    batch.forEach((member, i) => {
      const version = knownVersion(member.append) ?? read?.[`v${i}`];
      if (last === undefined || version === undefined || version === null) return void alone.push(member);
      member.resolve(member.result({ version: Number(version), position: last - BigInt(total - offsets[i]!) }));
    });
    await Promise.all(alone.map((member) => this.alone(member)));
  }

  /**
   * On MariaDB, sends the batch's statements as one compound statement (`begin not atomic … end`),
   * prepared once per connection and shape, as a lone append goes (see `compoundTransaction` and
   * `MysqlEventStore.#write`): the server neither parses the values nor answers each statement
   * with a packet of its own, and the client sends them in binary form instead of escaping them
   * into the text. The last position comes back in the block's OK packet (the tracked
   * `last_insert_id`), the versions the expectations do not say in its one result set; `commit`
   * is the block's last statement, so nothing can fail after it. 8 writers of single-event
   * appends (1,200 per round, 4 rounds, before and after in alternating processes, 4 pairs):
   * server CPU (the store's connection threads, /proc schedstat) 68/56/65/57 -> 46/34/38/33 µs
   * per append, application CPU 87/74/80/68 -> 75/64/60/56, wall lower in 4/4.
   *
   * A compound statement that fails does not say which of its statements did: a server error
   * rolls the batch back and returns undefined, and the batch then goes as the multi-statement
   * query, whose failure names the member that made it fail (see `culprits`). A lost connection
   * fails the batch as the query's does; a lock wait over {@link LOCK_WAIT_S} sends every member
   * alone (the query would wait as long again to name the one that waited). Undefined too when
   * the batch does not go this way: MySQL, over {@link PREPARED_BATCH_EVENTS} events, a shape
   * beyond {@link PREPARED_BATCH_SHAPES}, a server that cannot prepare it.
   */
  async #compound(
    statements: readonly string[],
    parameters: readonly unknown[],
    readVersions: boolean,
    events: number,
    run: MysqlRun,
    execute: MysqlExecute,
  ): Promise<Outcome | { lost: unknown } | { failed: [] } | undefined> {
    const { prepared } = this.#steps;
    if (!prepared.on || events > PREPARED_BATCH_EVENTS) return undefined;
    // The restore and the tracked position before `commit`, which ends the block.
    const body = statements
      .slice(0, -2)
      .concat(`set ${TRACKED_POSITION} = last_insert_id()`, RESTORE_LOCK_WAIT, 'commit');
    const sql = `begin not atomic ${body.join(';\n')};\nend`;
    if (!this.#shapes.has(sql)) {
      if (this.#shapes.size >= PREPARED_BATCH_SHAPES) return undefined;
      this.#shapes.add(sql);
    }
    let result: unknown;
    try {
      result = await execute(sql, parameters);
    } catch (error) {
      if (lostConnection(error)) return { lost: error };
      const { errno } = error as { errno?: number };
      if (errno !== undefined && CANNOT_PREPARE.has(errno) && errno !== 1461) prepared.on = false;
      try {
        await run(`rollback;\n${RESTORE_LOCK_WAIT}`, []);
      } catch (rollback) {
        return { lost: rollback };
      }
      // A lock wait over LOCK_WAIT_S: the query would wait as long again to name the member.
      return errno === LOCK_WAIT_TIMEOUT ? { failed: [] } : undefined;
    }
    // One result set (the versions' row) and the block's OK packet, or the OK packet alone.
    const [rows, ok] = readVersions ? (result as [Record<string, unknown>[], unknown]) : [[{}], result];
    const tracked = (ok as { stateChanges?: { systemVariables?: Record<string, string> } } | undefined)?.stateChanges
      ?.systemVariables?.[TRACKED_POSITION];
    // Not reported when the connection does not track session state: the session still holds it.
    const position = tracked ?? String(((await run(LAST_POSITION, [])) as { position: unknown }[])[0]!.position);
    return { last: BigInt(position), read: rows[0] };
  }
}

/**
 * The members that made the batch fail, `completed` statements having answered before the one that
 * failed: the member of a stream step; for the events insert, every member whose check failed
 * (its version NULL in `versions`, read after the rollback: all of them go alone at once, rather
 * than one per failed batch, which cost a round trip per refused member and left a batch with
 * several refused members almost never committing), or the last one that carries the duplicate
 * event id (the first could have inserted it); none when nothing names one.
 */
function culprits(
  batch: readonly Waiting[],
  completed: number,
  error: unknown,
  versions: Record<string, unknown> | undefined,
): number[] {
  const n = batch.length;
  const stream = completed - HEAD;
  if (stream >= 0 && stream < n) return [stream];
  if (completed !== HEAD + n + 1) return [];
  const { errno, message } = error as { errno?: number; message?: string };
  if (errno === 1048) return batch.flatMap((_, i) => (versions?.[`v${i}`] === null ? [i] : []));
  if (uniqueViolation(error) && message?.includes('eventsmith_events_event_id_key')) {
    const id = /Duplicate entry '(.*)' for key/.exec(message)?.[1];
    const last = batch.findLastIndex((member) => member.append.records.some((r) => r.eventId === id));
    return last < 0 ? [] : [last];
  }
  return [];
}

/** A client-side error (no server error number): the connection is gone, the outcome unknown. */
function lostConnection(error: unknown): boolean {
  const { errno, fatal } = error as { errno?: unknown; fatal?: unknown };
  return fatal === true || typeof errno !== 'number';
}
