import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Pool } from 'mysql2';
import { DuplicateEventError } from '../../errors.js';
import type { DomainEvent } from '../../events/domain-event.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { recordStoreRead } from '../../telemetry/metrics.js';
import { SpanAttributes, withSpan } from '../../telemetry/tracing.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventStoreTransaction,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from '../event-store.js';
import { checkExpectedVersion } from '../expected-version.js';
import { Position } from '../position.js';
import { currentTransaction, storeTransaction } from '../sql/ambient-transaction.js';
import { feedFilter } from '../sql/event-rows.js';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { migrateEventStoreSeeding, requireEventStoreMigrated } from '../sql/migrate-event-store.js';
import { openStoreId } from '../sql/store-identity.js';
import { prepareAppend, streamTenantMismatch, type PreparedAppend } from '../sql/prepare-append.js';
import { readAheadPages } from '../sql/read-ahead-pages.js';
import { AppendConflictError, openFailure, unavailableOr } from '../sql/store-errors.js';
import { checkIdText, feedRange } from '../store-input.js';
import { eventExistsQuery, readStreamVersion } from '../sql/stream-queries.js';
import { createMysqlDatabase, type MysqlConnection } from './mysql-dialect.js';
import { appendBody, compoundTransaction, STREAM_STATE, type AppendBody } from './mysql-statements.js';
import { withPoolConnection, type MysqlExecute, type MysqlRun } from './mysql-query.js';
import { MysqlGroupCommit, type MysqlGroupMember } from './mysql-group-commit.js';
import { MysqlReads, positionOf } from './mysql-read.js';
import { StoreGate } from '../store-gate.js';
import { pageEvents } from '../page-events.js';
import { readStreamPage, streamPageOf, type StreamPage } from '../stream-page.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';
import { uniqueViolation } from '../sql/unique-violation.js';

export type MysqlEventStoreOptions = MysqlConnection & {
  readonly registry: EventRegistry;
  /**
   * Identifies the store in positions (checkpoints and dead letters keep them). The database keeps
   * its id (table `eventsmith_store_identity`, migration `0005_store_identity`), so a copy, a
   * rename or a restore under another name keeps it; this option sets the id of a database that
   * keeps none yet. Default: the id its checkpoints carry, if they all carry one (a database
   * restored under another name before 0005), else `mysql:<database>`. Opening a database that keeps
   * another id fails with `StoreIdMismatchError`.
   */
  readonly storeId?: string;
  /**
   * Create or upgrade the tables on open. Default true. With `false` (migrations run separately,
   * by `eventsmith migrate`), `open` checks that they did: it throws `EventStoreUnavailableError`
   * with `reason: 'not-migrated'` when the tables are missing or older than this runtime needs.
   */
  readonly migrate?: boolean;
  /**
   * With `migrate: false`: skip that check, for code that migrates the store itself after opening
   * it (as `eventsmith migrate` does with `migrateApp`). Default true.
   */
  readonly checkMigrated?: boolean;
  /** Rows fetched per query by `readStream` and `readAll`. Default 1000. */
  readonly pageSize?: number;
  /** How often an append that lost a race it can retry (a deadlock, an 'any' append) tries again. Default 10. */
  readonly appendRetries?: number;
  /**
   * Group commit, on by default: concurrent appends made outside a transaction (from this store
   * and its tenant views) that arrive while another is being written share one transaction, one
   * round trip and one commit, each with its own version check and its own result or error. One
   * writer at a time writes exactly as without it; under concurrent writers throughput rises, at
   * the cost of appends waiting for the batch they joined, including its stream locks. `false`
   * writes every append in a transaction of its own.
   */
  readonly groupCommit?: boolean;
};

/** {@link EventStoreTransaction} on MariaDB/MySQL: `sql` is the Kysely transaction of the append. */
export interface MysqlEventStoreTransaction extends EventStoreTransaction {
  readonly sql: Transaction<any>;
}

interface Shared {
  readonly registry: EventRegistry;
  readonly storeId: string;
  readonly db: Kysely<EventStoreTables>;
  /** The pool under `db`: appends outside a transaction run on it directly. */
  readonly pool: Pool;
  readonly target: string;
  readonly pageSize: number;
  readonly retries: number;
  /** Shares commits between concurrent appends; undefined when `groupCommit` is false. */
  readonly groupCommit: MysqlGroupCommit | undefined;
  /** Refuses appends once `close()` has begun, and lets it wait for the ones accepted. */
  readonly gate: StoreGate;
  /** Reads pages of events (`readStream`, `readAll`) and decodes them. */
  readonly reads: MysqlReads;
  /** The server is MariaDB: a lone append is one compound statement (see `compoundTransaction`). */
  readonly compound: boolean;
  /**
   * Whether lone compound appends of up to {@link PREPARED_MAX_EVENTS} events, and group commit
   * batches, go as prepared statements; turned off for good once the server says it cannot prepare
   * them (see {@link #write}).
   */
  readonly prepared: { on: boolean };
}

/**
 * Events a feed read decodes between two turns of the event loop while the next page is read
 * ahead. A reader that never leaves the microtask queue leaves that page unread in the socket
 * until this one is done, so reading ahead alone gained nothing. 20,000 events in pages of 1,000,
 * alternating in one process (machine at load 6): the reader waited 4.8-6.4 ms at each page's end
 * without these turns, read ahead or not, and 0.6-1.4 ms with them; per event 9.0-11.3 ->
 * 8.6-11.1 µs, lower in each of 4 pairs (reading ahead without the turns: no gain in 4 pairs).
 */
const READ_AHEAD_YIELD = 200;

/** Identifiers are VARCHAR(255) columns. */
const MAX_ID = 255;
const DEADLOCK = new Set([1213, 1205]);
const IS_MARIADB = "select version() like '%MariaDB%' as mariadb";
/**
 * A lone compound append of at most this many events goes as a prepared statement (see
 * {@link MysqlEventStore.#write}); larger ones as text. The bound keeps the statements each
 * connection prepares (one per event count and kind of expectation, at most 16 × 8 here) far
 * below the server's `max_prepared_stmt_count` (16,382 by default, for all connections together).
 */
const PREPARED_MAX_EVENTS = 16;
/**
 * The server could not prepare the statement: too many prepared statements (1461, for now), or not
 * this kind of statement (1295 unsupported, 1064 a syntax error: for good). A syntax error that the
 * text form has as well is reported by it.
 */
const CANNOT_PREPARE = new Set([1461, 1295, 1064]);
const LAST_POSITION = 'select last_insert_id() as position';

/**
 * The event store on MariaDB 10.6+ / MySQL 8 (mysql2 via Kysely's `MysqlDialect`), InnoDB tables,
 * JSON payloads, typed and indexed envelope columns.
 *
 * An append is one round trip: a multi-statement query that checks and bumps the stream's row,
 * takes positions from the allocator row, and inserts every event (on MariaDB a lone append sends
 * the same statements as one compound statement, answered with one packet: `compoundTransaction`;
 * up to 16 events, prepared once per connection and shape).
 * **The feed never skips**: positions come from a one-row allocator whose lock is held until
 * commit, so they are handed out in commit order (AUTO_INCREMENT is not: see `appendBody`).
 * Concurrent appends therefore serialise between allocating and committing (InnoDB releases the
 * lock before the commit's log flush, so flushes still overlap); keep transactions that append
 * short. Concurrent appends made outside a transaction share one transaction and one commit
 * (group commit, see `MysqlGroupCommit`), so the allocator changes hands once per batch rather
 * than once per append.
 *
 * `transaction(fn)` gives `fn` the Kysely transaction as `tx.sql`, for projection rows,
 * checkpoints and outbox rows that commit with the append; `MysqlSnapshotStore` writes from inside
 * `fn` join it. An append inside it runs under a savepoint, so a failed append leaves nothing
 * behind; a deadlock, though, rolls the whole transaction back (`AppendConflictError`). Reads
 * through the store inside `fn` (`readStream`, `getStreamVersion`, …) run on another connection of
 * the pool and see committed events only, while the transaction keeps its own: size the pool
 * above the number of transactions that read this way at once, or read through `tx.sql`.
 *
 * @example
 * ```ts
 * const store = await MysqlEventStore.open({ url: 'mysql://app:secret@127.0.0.1:3306/app', registry });
 * await store.appendToStream('BankAccount-1', [opened], { expectedVersion: 'no_stream' });
 * ```
 */
export class MysqlEventStore implements EventStore {
  readonly #shared: Shared;
  readonly #tenantId: string | undefined;

  private constructor(shared: Shared, tenantId: string | undefined) {
    this.#shared = shared;
    this.#tenantId = tenantId;
  }

  /** Connects (and by default migrates). Throws `EventStoreUnavailableError` if the server cannot be reached. */
  static async open(options: MysqlEventStoreOptions): Promise<MysqlEventStore> {
    const { db, pool, target, database, secrets } = createMysqlDatabase(options);
    const derived = `mysql:${database}`;
    let compound: boolean;
    let storeId: string;
    try {
      if (options.migrate ?? true)
        await migrateEventStoreSeeding(
          db,
          { dialect: 'mysql', ...(options.storeId === undefined ? {} : { storeId: options.storeId }) },
          { derivedStoreId: derived },
        );
      else if (options.checkMigrated ?? true) await requireEventStoreMigrated(db, 'mysql', target);
      const { rows } = await db.executeQuery<{ mariadb: unknown }>(CompiledQuery.raw(IS_MARIADB));
      compound = Number(rows[0]?.mariadb) === 1;
      storeId = await openStoreId(db, { storeId: options.storeId, derived, target });
    } catch (error) {
      await db.destroy().catch(() => undefined);
      throw openFailure(error, target, secrets);
    }
    const prepared = { on: compound };
    return new MysqlEventStore(
      {
        registry: options.registry,
        storeId,
        db,
        pool,
        target,
        pageSize: options.pageSize ?? 1000,
        retries: options.appendRetries ?? 10,
        groupCommit:
          options.groupCommit === false
            ? undefined
            : new MysqlGroupCommit({
                withConnection: (fn) => withPoolConnection(pool, fn),
                unavailable: (error) => unavailableOr(error, target),
                prepared,
              }),
        gate: new StoreGate(storeId, db),
        reads: new MysqlReads({ pool, db, storeId, registry: options.registry, target }),
        compound,
        prepared,
      },
      undefined,
    );
  }

  get storeId(): string {
    return this.#shared.storeId;
  }

  /** The tenant of this view, or `undefined` for the store itself. */
  get tenantId(): string | undefined {
    return this.#tenantId;
  }

  get registry(): EventRegistry {
    return this.#shared.registry;
  }

  /** The Kysely instance on the store's pool: for snapshot stores, projections and your own tables. */
  get db(): Kysely<EventStoreTables> {
    return this.#shared.db;
  }

  async appendToStream(
    streamId: string,
    events: readonly DomainEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const append = prepareAppend(this.registry, streamId, events, options, this.#tenantId, MAX_ID);
    // Called inside this store's transaction(): join it rather than wait on its locks.
    const ambient = currentTransaction(this.#shared.db);
    if (ambient) return this.#appendInTransaction(ambient, append);
    return withSpan(
      'eventsmith.store.append',
      {
        [SpanAttributes.store]: this.storeId,
        [SpanAttributes.stream]: streamId,
        [SpanAttributes.eventCount]: events.length,
      },
      () => {
        const { groupCommit, gate } = this.#shared;
        return gate.run(() =>
          groupCommit ? groupCommit.append(this.#groupMember(append)) : this.#appendAlone(append),
        );
      },
    );
  }

  /** `append` as a member of a group commit (see `MysqlGroupCommit`). */
  #groupMember(append: PreparedAppend): MysqlGroupMember {
    return {
      streamId: append.streamId,
      append,
      result: ({ version, position }) => ({ nextVersion: version, position: Position.of(this.storeId, position) }),
      alone: () => this.#appendAlone(append),
    };
  }

  /** An append in a transaction of its own, retried while it only lost a race it can retry. */
  async #appendAlone(append: PreparedAppend): Promise<AppendResult> {
    const body = appendBody(append);
    const { compound } = this.#shared;
    const sql = compound ? compoundTransaction(body) : `start transaction;\n${body.sql};\ncommit`;
    const prepare = compound && append.records.length <= PREPARED_MAX_EVENTS;
    for (let attempt = 0; ; attempt++) {
      const final = attempt >= this.#shared.retries;
      const outcome = await this.#guard(() =>
        withPoolConnection(this.#shared.pool, async (run, execute) => {
          let results: unknown;
          try {
            results = prepare ? await this.#write(sql, body.parameters, run, execute) : await run(sql, body.parameters);
          } catch (error) {
            await run('rollback', []).catch(() => undefined);
            if (isDeadlock(error) && !final) return 'retry' as const;
            // Explained on this connection: asking the pool for another while holding this
            // one deadlocks once every connection is held by a failing append.
            const translated = await this.#translate(error, append, run, final);
            if (translated === 'retry') return 'retry' as const;
            throw translated;
          }
          return compound
            ? this.#compoundOutcome(run, body, results, append, final)
            : this.#outcome(run, body, (results as unknown[]).slice(1), append, final);
        }),
      );
      if (outcome !== 'retry') return outcome;
    }
  }

  /**
   * Sends a lone compound append as a prepared statement: the server parses the block once per
   * connection and text (an event count and kind of expectation), not at every append, and the
   * values travel in binary form, neither escaped by the client nor scanned by the server's lexer.
   * Server thread CPU per append from /proc schedstat, alternating with the text form in one
   * process, 20 rounds: 10 events to a new stream 540 -> 412 µs (lower in 20/20), one event 367 ->
   * 276 (20/20). A server that cannot prepare it (too many prepared statements, or a version that
   * does not prepare compound statements) gets the text instead; the latter for good.
   */
  async #write(sql: string, parameters: readonly unknown[], run: MysqlRun, execute: MysqlExecute): Promise<unknown> {
    const { prepared } = this.#shared;
    if (!prepared.on) return run(sql, parameters);
    try {
      return await execute(sql, parameters);
    } catch (error) {
      const { errno } = error as { errno?: number };
      if (errno === undefined || !CANNOT_PREPARE.has(errno)) throw error;
      if (errno !== 1461) prepared.on = false;
      return run(sql, parameters);
    }
  }

  /** Refused once `close()` has begun; `close()` waits for one already running (and its `afterCommit` callbacks). */
  transaction<T>(fn: (tx: MysqlEventStoreTransaction) => Promise<T>): Promise<T> {
    return this.#shared.gate.transaction(() => this.#transaction(fn));
  }

  async #transaction<T>(fn: (tx: MysqlEventStoreTransaction) => Promise<T>): Promise<T> {
    const { db } = this.#shared;
    return storeTransaction(
      db,
      {
        run: (body) => this.#guard(() => db.transaction().execute(body)),
        append: (trx, streamId, events, options) =>
          this.#appendInTransaction(
            trx,
            prepareAppend(this.registry, streamId, events, options, this.#tenantId, MAX_ID),
          ),
      },
      fn,
    );
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const { reads, pageSize, gate } = this.#shared;
    let start = 0;
    return pageEvents({
      open: () => {
        start = performance.now();
        gate.check(); // and each page
        return gate.pages(reads.streamPages(streamId, options, pageSize, this.#tenantId));
      },
      decode: (row) => reads.decode(row, streamId, false),
      close: () => recordStoreRead(this.storeId, start), // once per read, when it ends, fails or is abandoned
    });
  }

  /**
   * The first page of a stream from `from`, as an array (see {@link readStreamPage}): what
   * `readStream(streamId, { from })` yields first, read with the statement of its first page,
   * without a promise per event or the position and stored time of each.
   */
  async [readStreamPage](streamId: string, from: number): Promise<StreamPage> {
    const start = performance.now();
    try {
      const { reads, pageSize, gate } = this.#shared;
      gate.check();
      const rows = await gate.run(() => reads.streamPage(streamId, from, pageSize, this.#tenantId));
      return streamPageOf(rows, pageSize, (row) => reads.event(row, streamId));
    } finally {
      recordStoreRead(this.storeId, start);
    }
  }

  async getStreamVersion(streamId: string): Promise<number> {
    return readStreamVersion(this.#shared.db, streamId, this.#tenantId, (query) =>
      this.#rows<{ version: number }>(query),
    );
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const start = performance.now();
    try {
      this.#shared.gate.check(); // and each page
      const range = feedRange(this.storeId, options);
      const filter = feedFilter(this.registry, options, this.#tenantId);
      if (filter.none) return;
      const { reads, pageSize, gate } = this.#shared;
      const pages = readAheadPages({
        start: range.after,
        limit: range.limit,
        pageSize,
        read: (after: bigint, n) => gate.run(() => reads.feedPage(filter, after, n + 1)),
        keyOf: positionOf,
        check: () => gate.check(),
      });
      for await (const { rows, ahead } of pages) {
        for (let i = 0; i < rows.length; i++) {
          // While a page is read ahead, the driver takes in what has arrived of it now and then
          // (see READ_AHEAD_YIELD).
          if (ahead && i % READ_AHEAD_YIELD === READ_AHEAD_YIELD - 1) await new Promise((go) => setImmediate(go));
          yield reads.decode(rows[i]!, undefined, true);
        }
      }
    } finally {
      recordStoreRead(this.storeId, start); // once per read, when it ends, fails or is abandoned
    }
  }

  async currentPosition(): Promise<Position | null> {
    let query = this.#shared.db.selectFrom('eventsmith_events').select('position').orderBy('position', 'desc').limit(1);
    if (this.#tenantId !== undefined) query = query.where('tenant_id', '=', this.#tenantId);
    const [row] = await this.#rows<{ position: string }>(query.compile());
    return row ? Position.of(this.storeId, BigInt(row.position)) : null;
  }

  async eventExists(eventId: string): Promise<boolean> {
    checkIdText('event id', eventId);
    return (await this.#rows(eventExistsQuery(this.#shared.db, eventId, this.#tenantId))).length > 0;
  }

  forTenant(tenantId: string): MysqlEventStore {
    checkIdText('tenant id', tenantId, true);
    if (sameTenantView('event store', this.#tenantId, tenantId)) return this;
    return new MysqlEventStore(this.#shared, tenantId);
  }

  /**
   * Ends the pool, once the appends, reads and transactions already accepted (appends queued for
   * a group commit or waiting for a connection included) have finished; later calls (appends,
   * reads, the next page of an iteration, transactions) fail with `EventStoreClosedError`. Views
   * made with `forTenant` share the pool and close with it.
   */
  async close(): Promise<void> {
    const { gate, groupCommit, pool } = this.#shared;
    await gate.close(async () => {
      await groupCommit?.close();
      // The store ends the pool itself rather than through db.destroy(): Kysely ends it only if it
      // ran a query on it, and appends and reads use the pool directly (Kysely's documented way for
      // a pool it shares).
      await new Promise<void>((resolve, reject) => pool.end((error) => (error ? reject(error) : resolve())));
    });
  }

  /** Appends inside an open transaction, under a savepoint so a failed append leaves nothing behind. */
  #appendInTransaction(trx: Transaction<any>, append: PreparedAppend): Promise<AppendResult> {
    const attributes = {
      [SpanAttributes.store]: this.storeId,
      [SpanAttributes.stream]: append.streamId,
      [SpanAttributes.eventCount]: append.records.length,
    };
    return withSpan('eventsmith.store.append', attributes, () => this.#appendUnderSavepoint(trx, append));
  }

  async #appendUnderSavepoint(trx: Transaction<any>, append: PreparedAppend): Promise<AppendResult> {
    const body = appendBody(append);
    const run: MysqlRun = async (sql, parameters) =>
      (await trx.executeQuery(CompiledQuery.raw(sql, [...parameters]))).rows;
    let results: unknown[];
    try {
      results = (await run(
        `savepoint es_append;\n${body.sql};\nrelease savepoint es_append`,
        body.parameters,
      )) as unknown[];
    } catch (error) {
      if (isDeadlock(error)) {
        throw new AppendConflictError(
          append.streamId,
          append.expected,
          0,
          'the database chose this transaction as a deadlock victim and rolled it back.',
        );
      }
      await run('rollback to savepoint es_append; release savepoint es_append', []);
      throw await this.#translate(error, append, run, true);
    }
    return (await this.#outcome(run, body, results.slice(1), append, true)) as AppendResult;
  }

  /** Reads the outcome of an append from its statements' results; on a failed check, explains it from the stream's state. */
  async #outcome(
    run: MysqlRun,
    body: AppendBody,
    results: readonly unknown[],
    append: PreparedAppend,
    final: boolean,
  ): Promise<AppendResult | 'retry'> {
    const outcome = body.outcome(results);
    if (outcome) return { nextVersion: outcome.version, position: Position.of(this.storeId, outcome.position) };
    return this.#conflict(append, await streamState(run, append.streamId), final);
  }

  /** {@link #outcome} of a compound append (`compoundTransaction`). */
  async #compoundOutcome(
    run: MysqlRun,
    body: AppendBody,
    result: unknown,
    append: PreparedAppend,
    final: boolean,
  ): Promise<AppendResult | 'retry'> {
    const outcome = body.compoundOutcome(result);
    if (!outcome) return this.#conflict(append, await streamState(run, append.streamId), final);
    // Not reported when the connection does not track session state (mysql2's SESSION_TRACK flag
    // turned off): the session's LAST_INSERT_ID() still holds it.
    const position =
      outcome.position ?? BigInt(String(((await run(LAST_POSITION, [])) as { position: unknown }[])[0]!.position));
    return { nextVersion: outcome.version, position: Position.of(this.storeId, position) };
  }

  #conflict(
    append: PreparedAppend,
    stream: { version: number; tenant_id: string | null } | undefined,
    final: boolean,
  ): 'retry' {
    const mismatch = streamTenantMismatch(append, stream);
    if (mismatch) throw mismatch;
    const actual = stream ? Number(stream.version) : 0;
    checkExpectedVersion(append.streamId, append.expected, actual);
    if (!final) return 'retry';
    throw new AppendConflictError(
      append.streamId,
      append.expected,
      actual,
      'the stream changed while this append waited, too many times.',
    );
  }

  /** The error to throw for a failed append batch, or `'retry'` when a new attempt could pass. */
  async #translate(error: unknown, append: PreparedAppend, run: MysqlRun, final: boolean): Promise<unknown> {
    const { errno, message } = error as { errno?: number; message?: string };
    // 1048: the version was NULL because the stream check failed; or a duplicate key.
    const duplicate = uniqueViolation(error) !== undefined;
    if (duplicate || errno === 1048) {
      if (duplicate && message?.includes('eventsmith_events_event_id_key')) {
        const id = /Duplicate entry '(.*)' for key/.exec(message)?.[1];
        return new DuplicateEventError(id ?? append.records[0]!.eventId);
      }
      // The stream row exists ('no_stream'), the expectation failed, or events were written around it.
      const state = await streamState(run, append.streamId);
      try {
        return this.#conflict(append, state, final);
      } catch (conflict) {
        return conflict;
      }
    }
    return unavailableOr(error, this.#shared.target);
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw unavailableOr(error, this.#shared.target);
    }
  }

  /** A read on the pool, one operation of the gate: refused once `close()` has begun, else waited for by it. */
  async #rows<R>(query: CompiledQuery): Promise<R[]> {
    return this.#shared.gate.run(() => this.#guard(async () => (await this.#shared.db.executeQuery<R>(query)).rows));
  }
}

/** The stream's row, read on the connection or transaction that ran the append. */
async function streamState(
  run: MysqlRun,
  streamId: string,
): Promise<{ version: number; tenant_id: string | null } | undefined> {
  const rows = (await run(STREAM_STATE, [streamId])) as { version: number; tenant_id: string | null }[];
  return rows[0];
}

function isDeadlock(error: unknown): boolean {
  return DEADLOCK.has((error as { errno?: number }).errno ?? 0);
}
