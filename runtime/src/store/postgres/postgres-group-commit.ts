import type pg from 'pg';
import type { AppendResult } from '../event-store.js';
import { TENANT_SETTING } from '../sql/migrations/rls-0001-tenant-policies.js';
import {
  GROUP_COMMIT_FLIGHTS,
  GroupCommitQueue,
  type GroupCommitMember,
  type GroupCommitWaiting,
} from '../sql/group-commit-queue.js';
import type { PreparedAppend } from '../sql/prepare-append.js';
import {
  BATCH_APPEND,
  BATCH_APPEND_ONE,
  batchAppendOneParameters,
  batchAppendParameters,
} from './postgres-statements.js';

/** One append waiting for a group commit, as the store hands it over. */
export interface GroupMember extends GroupCommitMember {
  /** The tenant to `set_config` before the append (row-level security), if any. */
  readonly tenant: string | undefined;
  /**
   * The append, when the batch statement can write it (`BATCH_APPEND`: not under row-level
   * security, not in a partitioned store); otherwise each member's own statement is sent.
   */
  readonly append: PreparedAppend | undefined;
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
  /** A pool with `overrides` ({@link GROUP_COMMIT_POOL}), opened when the first batch forms. */
  readonly openPool: (overrides: pg.PoolConfig) => pg.Pool;
  /** Maps a connection failure (no SQLSTATE) to the store's error. */
  readonly unavailable: (error: unknown) => unknown;
  /** Called once after each shared transaction that appended has committed. */
  readonly committed: () => void;
}

type Waiting = GroupCommitWaiting<GroupMember>;

const ABORTED = '25P02'; // in_failed_sql_transaction: a statement after the one that failed
const LOCK_NOT_AVAILABLE = '55P03'; // lock_timeout
const DEADLOCK = '40P01';
/** How long a batch waits for a lock before the member that waits goes on alone (ms). */
const LOCK_WAIT_MS = 200;
/**
 * The batches' connections: one per flight, pipelining (a batch of member statements leaves in
 * one write), and a batch statement waits at most `LOCK_WAIT_MS` for a lock.
 */
const GROUP_COMMIT_POOL = { max: GROUP_COMMIT_FLIGHTS, pipeline: true, lock_timeout: LOCK_WAIT_MS } as pg.PoolConfig;

/**
 * Group commit for `PostgresEventStore` appends made outside a transaction: appends that arrive
 * while another is being written share one transaction, so one commit (one WAL flush) covers all
 * of them. When batches form and how many fly at once is {@link GroupCommitQueue}'s; each flight
 * has its own pipelining connection.
 *
 * - A batch is one statement, `BATCH_APPEND` (`BATCH_APPEND_ONE` when every member appends one
 *   event), committed on its own: every member's stream
 *   check-and-update and every event, members in stream-id order (so concurrent batches, this
 *   store's or another process's, take stream locks in one order). Each member keeps its own
 *   expected-version check; a refused one writes nothing and does not disturb the others, and its
 *   error comes from the stream state when the statement started. A batch holds one append per
 *   stream: a later append to a stream already in it goes in the next batch.
 * - Under row-level security (each member runs as its own tenant) and in a partitioned store, a
 *   batch is one transaction of each member's own append statement instead, sent in one write on
 *   the pipelining connection (`begin`, each statement, `commit`); then each statement sees the
 *   members before it.
 * - A batch statement that fails on a member's rows (a duplicate event id, a trigger) writes
 *   nothing: the batch is sent again as member statements, which tell which member it was. In a
 *   transaction of member statements, the one that fails (a duplicate event id, a deadlock, a
 *   policy violation, or a wait of more than `LOCK_WAIT_MS` for another transaction's lock) aborts
 *   it: that member is then written on its own, so it gets the error (or result) it would have had
 *   alone, and the other members go back to the head of the queue. A batch statement that waits
 *   more than `LOCK_WAIT_MS` for a lock (or deadlocks) sends every member on alone. So an append
 *   that waits on a lock holds up its neighbours for a bounded time, and never deadlocks with a
 *   transaction that awaits them.
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
  /** Connections of the pool whose session plans the batch statement once (`plan_cache_mode`). */
  readonly #generic = new WeakSet<pg.PoolClient>();

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
    if (batch.some((member) => member.append === undefined)) return this.#writeEach(batch);
    // One member per stream: the batch statement writes each stream once. A later append to a
    // stream already in the batch (they are sorted by stream id, in order of arrival) waits for
    // the next batch.
    const members: Waiting[] = [];
    const later: Waiting[] = [];
    for (const member of batch) (members.at(-1)?.streamId === member.streamId ? later : members).push(member);
    let client: pg.PoolClient;
    try {
      client = await this.#connect();
    } catch {
      this.requeue(later);
      await Promise.all(members.map((member) => this.alone(member)));
      return;
    }
    const appends = members.map((member) => member.append!);
    let rows: Record<string, unknown>[];
    try {
      ({ rows } = await client.query(
        appends.every((append) => append.records.length === 1)
          ? { name: 'eventsmith_append_batch_one', text: BATCH_APPEND_ONE, values: batchAppendOneParameters(appends) }
          : { name: 'eventsmith_append_batch', text: BATCH_APPEND, values: batchAppendParameters(appends) },
      ));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      client.release(typeof code === 'string' ? undefined : (error as Error));
      this.requeue(later);
      if (typeof code !== 'string') {
        const unavailable = this.#steps.unavailable(error);
        for (const member of members) member.reject(unavailable);
      } else if (code === LOCK_NOT_AVAILABLE || code === DEADLOCK) {
        // A member waits for another transaction's lock: each goes on alone, so none waits for it.
        for (const member of members) void this.alone(member);
      } else {
        // A member's rows were refused (a duplicate event id, a trigger): the statement wrote
        // nothing. Each member's own statement tells which one it was.
        await this.#writeEach(members);
      }
      return;
    }
    client.release();
    // Autocommitted: the rows arrive once the commit has.
    this.#steps.committed();
    this.requeue(later);
    this.#handOut(members, rows);
  }

  /** Hands each member its outcome from its row; members that only a transaction of their own can settle go alone. */
  #handOut(batch: Waiting[], rows: readonly (Record<string, unknown> | undefined)[]): void {
    const alone: Waiting[] = [];
    batch.forEach((member, i) => {
      const outcome = member.outcome(rows[i]);
      if (outcome === 'alone') alone.push(member);
      else if (outcome instanceof Error) member.reject(outcome);
      else member.resolve(outcome);
    });
    // On their own, on the store's pool: the next batch need not wait for them.
    for (const member of alone) void this.alone(member);
  }

  async #connect(): Promise<pg.PoolClient> {
    this.#pool ??= this.#steps.openPool(GROUP_COMMIT_POOL);
    const client = await this.#pool.connect();
    if (!this.#generic.has(client)) {
      // The batch statement's plan does not depend on its values (index lookups by key), but for
      // small batches PostgreSQL would plan it for every run, which costs more than running it.
      try {
        await client.query('set plan_cache_mode = force_generic_plan');
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      this.#generic.add(client);
    }
    return client;
  }

  /** The batch as one transaction of each member's own statement (row-level security, partitions, a refused row). */
  async #writeEach(batch: Waiting[]): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#connect();
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
    // A member that waits longer than the lock timeout (`GROUP_COMMIT_POOL`) for another
    // transaction's lock ends the batch and goes on alone, so it never holds up its neighbours longer.
    const sent: Promise<unknown>[] = [client.query('begin')];
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
      this.#handOut(
        batch,
        batch.map((_, i) => (settled[statementOf[i]!] as PromiseFulfilledResult<pg.QueryResult>).value.rows[0]),
      );
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
