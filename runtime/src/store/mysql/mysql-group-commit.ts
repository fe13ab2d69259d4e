import type { AppendResult } from '../event-store.js';

/** One append waiting for a group commit, as `MysqlEventStore` hands it over. */
export interface MysqlGroupMember {
  /** Sort key: members of one batch take their stream locks in stream-id order. */
  readonly streamId: string;
  /** The append's statements (`appendBody`), run inside the shared transaction. */
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /**
   * What the append's outcome row means once the shared transaction has committed: the result,
   * or `'alone'` when only a transaction of its own can tell.
   */
  readonly outcome: (row: Record<string, unknown> | undefined) => AppendResult | 'alone';
  /** The append on its own, in a transaction of its own, exactly as without group commit. */
  readonly alone: () => Promise<AppendResult>;
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

interface Waiting extends MysqlGroupMember {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** More members would make one multi-statement query, and the time its locks are held, longer. */
const MAX_BATCH = 64;
/** Batches on the server at once: while one is written, the next forms. */
const FLIGHTS = 2;
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
 * of them.
 *
 * - An append that finds nothing in flight is written at once, on its own, exactly as without
 *   group commit (one writer: no added latency, no timer). Appends arriving meanwhile queue; when a
 *   flight lands they go as the next batch, after the current turn of the event loop so that the
 *   writers woken by the same commit join the same batch. At most two flights at once.
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
export class MysqlGroupCommit {
  readonly #steps: MysqlGroupCommitSteps;
  #queue: Waiting[] = [];
  readonly #flights = new Set<Promise<void>>();
  #scheduled = false;
  #lastSize = 0;
  #closed = false;

  constructor(steps: MysqlGroupCommitSteps) {
    this.#steps = steps;
  }

  append(member: MysqlGroupMember): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ ...member, resolve, reject });
      this.#pump();
    });
  }

  /** Waits for the batches in flight (later appends go alone). */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flights.size > 0) await Promise.all(this.#flights);
  }

  #pump(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#flights.size >= FLIGHTS) return;
    if (this.#flights.size === 0 && this.#lastSize <= 1) return this.#fly();
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#queue.length > 0 && this.#flights.size < FLIGHTS) this.#fly();
    });
  }

  #fly(): void {
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#lastSize = batch.length;
    const flight = (
      batch.length === 1 || this.#closed
        ? Promise.all(batch.map((m) => this.#alone(m))).then(() => undefined)
        : this.#batch(batch)
    ).finally(() => {
      this.#flights.delete(flight);
      this.#pump();
    });
    this.#flights.add(flight);
    this.#pump();
  }

  async #alone(member: Waiting): Promise<void> {
    try {
      member.resolve(await member.alone());
    } catch (error) {
      member.reject(error);
    }
  }

  async #batch(batch: Waiting[]): Promise<void> {
    // A stable sort: members of one stream keep their order of arrival.
    batch.sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
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
        await Promise.all(batch.map((member) => this.#alone(member)));
        return;
      }
      this.#queue.unshift(...batch.slice(0, failed), ...batch.slice(failed + 1));
      this.#pump(); // the others need not wait for the one going alone
      await this.#alone(batch[failed]!);
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
    await Promise.all(alone.map((member) => this.#alone(member)));
  }
}

/** A client-side error (no server error number): the connection is gone, the outcome unknown. */
function lostConnection(error: unknown): boolean {
  const { errno, fatal } = error as { errno?: unknown; fatal?: unknown };
  return fatal === true || typeof errno !== 'number';
}
