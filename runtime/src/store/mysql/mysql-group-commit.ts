import type { AppendResult } from '../event-store.js';
import { GroupCommitQueue, type GroupCommitMember, type GroupCommitWaiting } from '../sql/group-commit-queue.js';

/** One append waiting for a group commit, as `MysqlEventStore` hands it over. */
export interface MysqlGroupMember extends GroupCommitMember {
  /** The append's stream step and events insert (`appendBatchSteps`), run in the shared transaction. */
  readonly stream: { readonly sql: string; readonly parameters: readonly unknown[] };
  readonly insert: { readonly sql: string; readonly parameters: readonly unknown[] };
  /**
   * What the append's outcome row means once the shared transaction has committed: the result,
   * or `'alone'` when only a transaction of its own can tell.
   */
  readonly outcome: (row: Record<string, unknown> | undefined) => AppendResult | 'alone';
}

/** Runs queries on one connection of the store's pool, in order. */
export type MysqlRun = (sql: string, parameters: readonly unknown[]) => Promise<unknown>;

/** What {@link MysqlGroupCommit} needs from its store. */
export interface MysqlGroupCommitSteps {
  /** Lends one pooled connection to `fn` for the length of a batch. */
  readonly withConnection: <T>(fn: (run: MysqlRun) => Promise<T>) => Promise<T>;
  /** Maps a lost connection to the store's error. */
  readonly unavailable: (error: unknown) => unknown;
}

type Waiting = GroupCommitWaiting<MysqlGroupMember>;

/**
 * How long (s) a batch member waits for a lock (another transaction's, on its stream) before it
 * ends the batch and goes on alone, so it never holds up its neighbours for longer.
 */
const LOCK_WAIT_S = 1;
/** The first member starts the batch's variables: `@es_p` is its last position, `@es_o` the outcomes. */
const FIRST_MEMBER = 'set @es_m = 0, @es_v = null, @es_p = null, @es_o = null';
/** The outcomes so far, each member's new version and last position: `v1 p1 v2 p2 …`. */
const OUTCOME = "concat_ws(' ', @es_o, @es_v, @es_p)";
/**
 * Reads and locks the allocator row after the first member's stream step, as an append alone
 * does; the members number their rows on from it. No row when the first member's check failed:
 * `@es_p` stays NULL and its insert fails, as alone.
 */
const TAKE_POSITIONS =
  'select value into @es_p from eventsmith_positions where id = 1 and @es_v is not null for update';
/** Hands the batch's last position back to the allocator row, whose lock the commit releases. */
const STORE_POSITIONS = 'update eventsmith_positions set value = @es_p where id = 1';
/** Back to the server's lock wait; `@es_m` (the member running) is set only while a batch runs. */
const RESTORE_LOCK_WAIT = 'set session innodb_lock_wait_timeout = @@global.innodb_lock_wait_timeout, @es_m = null';

/**
 * Group commit for `MysqlEventStore` appends made outside a transaction: appends that arrive
 * while another is being written share one transaction, sent as one multi-statement query, so
 * one round trip, one turn of the position allocator and one commit (one redo log flush) cover all
 * of them. When batches form and how many fly at once is {@link GroupCommitQueue}'s.
 *
 * - A batch is `start transaction`, each member's stream step and events insert (sorted by stream
 *   id, so concurrent batches take stream locks in one order; members of one stream keep their
 *   order), `commit`. Each member keeps its own expected-version check, and sees the members before
 *   it. The allocator row is read and locked once, after the first member's stream step, the
 *   members number their rows on from it, and the batch writes the last position back; one row
 *   holds every member's outcome. Three statements per member instead of six (issue 15).
 * - MariaDB stops a multi-statement query at the first statement that fails (a version conflict,
 *   a duplicate event id, a lock wait over {@link LOCK_WAIT_S} s, a deadlock): the batch is rolled
 *   back, the member that failed (named by `@es_m`) is written on its own, so it gets the error or
 *   result it would have had alone, and the other members go back to the head of the queue.
 * - Results are handed out only after the commit. A connection lost in the middle fails every
 *   member with the store's unavailable error, as it would have failed each alone.
 *
 * Never-skip is unchanged: a batch takes its positions from the allocator row like any append and
 * holds its lock until the batch commits.
 */
export class MysqlGroupCommit extends GroupCommitQueue<MysqlGroupMember> {
  readonly #steps: MysqlGroupCommitSteps;

  constructor(steps: MysqlGroupCommitSteps) {
    super();
    this.#steps = steps;
  }

  protected async writeBatch(batch: Waiting[]): Promise<void> {
    const statements = [`set session innodb_lock_wait_timeout = ${LOCK_WAIT_S}`, 'start transaction'];
    const parameters: unknown[] = [];
    batch.forEach((member, i) => {
      // Each member's set statement also notes the outcome of the member before it in @es_o.
      statements.push(i === 0 ? FIRST_MEMBER : `set @es_o = ${OUTCOME}, @es_m = ${i}, @es_v = null`, member.stream.sql);
      parameters.push(...member.stream.parameters);
      if (i === 0) statements.push(TAKE_POSITIONS);
      statements.push(member.insert.sql);
      parameters.push(...member.insert.parameters);
    });
    statements.push(STORE_POSITIONS, `select ${OUTCOME} as o`, 'commit', RESTORE_LOCK_WAIT);
    let settled: { rows: unknown } | { failed: number } | { lost: unknown };
    try {
      settled = await this.#steps.withConnection(async (run) => {
        try {
          return { rows: await run(statements.join(';\n'), parameters) };
        } catch (error) {
          if (lostConnection(error)) return { lost: error };
          const rows = (await run(`rollback;\nselect @es_m as m;\n${RESTORE_LOCK_WAIT}`, [])) as unknown[];
          const m = (rows.filter(Array.isArray).at(-1)?.[0] as { m: unknown } | undefined)?.m;
          return { failed: m === null || m === undefined ? -1 : Number(m) };
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
      const failed = settled.failed;
      if (failed < 0 || failed >= batch.length) {
        await Promise.all(batch.map((member) => this.alone(member)));
        return;
      }
      this.requeue([...batch.slice(0, failed), ...batch.slice(failed + 1)]); // they need not wait for it
      await this.alone(batch[failed]!);
      return;
    }
    // One row: each member's new version and last position, in batch order.
    const row = (settled.rows as unknown[]).filter(Array.isArray).at(-1)?.[0] as { o?: unknown } | undefined;
    const outcomes = row?.o === null || row?.o === undefined ? [] : String(row.o).split(' ');
    const complete = outcomes.length === 2 * batch.length;
    const alone: Waiting[] = [];
    batch.forEach((member, i) => {
      const outcome = member.outcome(
        complete ? { version: outcomes[2 * i], position: outcomes[2 * i + 1] } : undefined,
      );
      if (outcome === 'alone') alone.push(member);
      else member.resolve(outcome);
    });
    await Promise.all(alone.map((member) => this.alone(member)));
  }
}

/** A client-side error (no server error number): the connection is gone, the outcome unknown. */
function lostConnection(error: unknown): boolean {
  const { errno, fatal } = error as { errno?: unknown; fatal?: unknown };
  return fatal === true || typeof errno !== 'number';
}
