import type pg from 'pg';
import type { AppendResult } from '../event-store.js';
import { TENANT_SETTING } from '../sql/migrations/rls-0001-tenant-policies.js';
import { GroupCommitQueue, type GroupCommitMember, type GroupCommitWaiting } from '../sql/group-commit-queue.js';

/** One append waiting for a group commit, as the store hands it over. */
export interface GroupMember extends GroupCommitMember {
  /** The tenant to `set_config` before the append (row-level security), if any. */
  readonly tenant: string | undefined;
  /** The append statement, run as a named statement inside the shared transaction (built only for a batch). */
  readonly statement: () => pg.QueryConfig;
  /**
   * What the statement's row means once the shared transaction has committed: the result, an
   * error to throw, or `'alone'` when only a transaction of its own can tell (a lost timing race).
   */
  readonly outcome: (row: Record<string, unknown> | undefined) => AppendResult | Error | 'alone';
}

/** What {@link PostgresGroupCommit} needs from its store. */
export interface GroupCommitSteps {
  /** A pool of `GROUP_COMMIT_FLIGHTS` pipelining connections (`pipeline: true`), opened when the first batch forms. */
  readonly openPool: () => pg.Pool;
  /** Maps a connection failure (no SQLSTATE) to the store's error. */
  readonly unavailable: (error: unknown) => unknown;
  /** Called once after each shared transaction that appended has committed. */
  readonly committed: () => void;
}

type Waiting = GroupCommitWaiting<GroupMember>;

const ABORTED = '25P02'; // in_failed_sql_transaction: a statement after the one that failed
/** How long a batch waits for a lock before the member that waits goes on alone (ms). */
const LOCK_WAIT_MS = 200;

/**
 * Group commit for `PostgresEventStore` appends made outside a transaction: appends that arrive
 * while another is being written share one transaction, so one commit (one WAL flush) covers all
 * of them. When batches form and how many fly at once is {@link GroupCommitQueue}'s; each flight
 * has its own pipelining connection.
 *
 * - A batch is one transaction sent in one write on a pipelining connection: `begin` (with the
 *   lock timeout), each
 *   member's usual append statement (sorted by stream id, so concurrent batches, this store's or
 *   another process's, take stream locks in one order), `commit`. Each statement keeps its own
 *   expected-version check; a
 *   refused one writes nothing and does not disturb the others, and its error comes from the
 *   stream state the statement saw (which includes the batch members before it).
 * - A statement that fails (a duplicate event id, a deadlock, a policy violation, or a wait of
 *   more than `LOCK_WAIT_MS` for another transaction's lock) aborts the transaction: that member
 *   is then written on its own, so it gets the error (or result) it would have had alone, and the
 *   other members go back to the head of the queue. So an append that waits on a lock holds up
 *   its neighbours for a bounded time, and never deadlocks with a transaction that awaits them.
 * - Results are handed out only after the commit. A connection lost in the middle fails every
 *   member with the store's unavailable error, as it would have failed each alone.
 *
 * Every member's rows carry the shared transaction id, so the feed's never-skip rule (rows become
 * readable when their transaction is below the horizon) holds unchanged: a batch becomes visible
 * at once, at its place in the feed.
 */
export class PostgresGroupCommit extends GroupCommitQueue<GroupMember> {
  readonly #steps: GroupCommitSteps;
  #pool: pg.Pool | undefined;

  constructor(steps: GroupCommitSteps) {
    super();
    this.#steps = steps;
  }

  /** Waits for the batches in flight, then ends the pipelining connections. */
  override async close(): Promise<void> {
    await super.close();
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  protected async writeBatch(batch: Waiting[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      this.#pool ??= this.#steps.openPool();
      client = await this.#pool.connect();
    } catch {
      // No pipelining connection: the members go on their own, on the store's pool.
      await Promise.all(batch.map((member) => this.alone(member)));
      return;
    }
    // The whole batch leaves in one write: pg writes each pipelined query as it is submitted
    // (synchronously, in client.query), so the socket is corked until the last one. One write
    // instead of one per statement (each ~50-90 µs of loopback TCP in the client alone).
    const socket = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection
      ?.stream;
    socket?.cork?.();
    // A member that waits longer than this for a lock (another transaction's, on its stream) ends
    // the batch and goes on alone, so it never holds up its neighbours for longer.
    const sent: Promise<unknown>[] = [client.query(`begin; set local lock_timeout = ${LOCK_WAIT_MS}`)];
    const statementOf: number[] = [];
    try {
      // Under row-level security each member runs as its own tenant; '' (no tenant) sees no rows,
      // as an unset setting does, so a tenant set for one member never carries over to the next.
      const tenants = batch.some((member) => member.tenant !== undefined);
      for (const member of batch) {
        if (tenants) sent.push(client.query('select set_config($1, $2, true)', [TENANT_SETTING, member.tenant ?? '']));
        statementOf.push(sent.length);
        sent.push(client.query(member.statement()));
      }
      sent.push(client.query('commit'));
    } finally {
      socket?.uncork?.();
    }
    const settled = await Promise.allSettled(sent);
    const lost = settled.find(
      (s): s is PromiseRejectedResult =>
        s.status === 'rejected' && typeof (s.reason as { code?: unknown }).code !== 'string',
    );
    client.release(lost ? (lost.reason as Error) : undefined);
    if (lost) {
      const error = this.#steps.unavailable(lost.reason);
      for (const member of batch) member.reject(error);
      return;
    }
    const commit = settled[settled.length - 1]!;
    if (commit.status === 'fulfilled' && (commit.value as pg.QueryResult).command === 'COMMIT') {
      this.#steps.committed();
      const alone: Waiting[] = [];
      batch.forEach((member, i) => {
        const outcome = member.outcome(
          (settled[statementOf[i]!] as PromiseFulfilledResult<pg.QueryResult>).value.rows[0],
        );
        if (outcome === 'alone') alone.push(member);
        else if (outcome instanceof Error) member.reject(outcome);
        else member.resolve(outcome);
      });
      // On their own, on the store's pool: the next batch need not wait for them.
      for (const member of alone) void this.alone(member);
      return;
    }
    // Rolled back: the first member whose own statement failed goes alone, the rest queue again.
    const failed = batch.findIndex((_, i) => {
      const s = settled[statementOf[i]!]!;
      return s.status === 'rejected' && (s.reason as { code?: string }).code !== ABORTED;
    });
    if (failed < 0) {
      // `begin`, a tenant setting or the commit itself failed: every member goes alone.
      for (const member of batch) void this.alone(member);
      return;
    }
    this.requeue([...batch.slice(0, failed), ...batch.slice(failed + 1)]);
    void this.alone(batch[failed]!); // it may wait for a lock: the others go on meanwhile
  }
}
