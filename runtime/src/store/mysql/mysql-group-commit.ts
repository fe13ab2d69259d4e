import type { AppendResult } from '../event-store.js';
import { GroupCommitQueue, type GroupCommitMember, type GroupCommitWaiting } from '../sql/group-commit-queue.js';

/** One append waiting for a group commit, as `MysqlEventStore` hands it over. */
export interface MysqlGroupMember extends GroupCommitMember {
  /** The append's statements (`appendBody`), run inside the shared transaction. */
  readonly sql: string;
  readonly parameters: readonly unknown[];
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
/** Back to the server's lock wait; `@es_m` (the member running) is set only while a batch runs. */
const RESTORE_LOCK_WAIT = 'set session innodb_lock_wait_timeout = @@global.innodb_lock_wait_timeout, @es_m = null';

/**
 * Group commit for `MysqlEventStore` appends made outside a transaction: appends that arrive
 * while another is being written share one transaction, sent as one multi-statement query, so
 * one round trip, one turn of the position allocator and one commit (one redo log flush) cover all
 * of them. When batches form and how many fly at once is {@link GroupCommitQueue}'s.
 *
 * - A batch is `start transaction`, each member's usual append statements (sorted by stream id, so
 *   concurrent batches take stream locks in one order; members of one stream keep their order),
 *   `commit`. Each member keeps its own expected-version check, and sees the members before it.
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
      statements.push(`set @es_m = ${i}`, member.sql);
      parameters.push(...member.parameters);
    });
    statements.push('commit', RESTORE_LOCK_WAIT);
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
    // One result set (the outcome row) per member, in batch order.
    const outcomes = (settled.rows as unknown[]).filter(Array.isArray) as Record<string, unknown>[][];
    const alone: Waiting[] = [];
    batch.forEach((member, i) => {
      const outcome = member.outcome(outcomes[i]?.[0]);
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
