import { CompiledQuery, isAbortedTransactionError, sql, type Kysely, type Transaction } from 'kysely';
import type pg from 'pg';
import { ConcurrencyError, DuplicateEventError, InvalidArgumentError } from '../../errors.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { decodeAtCurrentVersion } from '../../events/decode-record.js';
import type { DomainEvent, EventInit } from '../../events/domain-event.js';
import { ImmutableDate } from '../../events/immutable.js';
import { LastParsedTime, parseIsoTime } from '../../events/iso-time.js';
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
import { matchesExpectedVersion } from '../expected-version.js';
import { Position } from '../position.js';
import { currentTransaction, storeTransaction } from '../sql/ambient-transaction.js';
import type { StatementNamer } from '../sql/statement-naming.js';
import { EVENT_COLUMNS, feedFilter, storedEventFromRecord, type EventRow, type FeedFilter } from '../sql/event-rows.js';
import { readAheadPages } from '../sql/read-ahead-pages.js';
import { utcTimestampMillis } from '../sql/sql-time.js';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { migrateEventStoreSeeding, requireEventStoreMigrated } from '../sql/migrate-event-store.js';
import { openStoreId } from '../sql/store-identity.js';
import type { PostgresLayout } from '../sql/event-store-migrations.js';
import { TENANT_SETTING } from '../sql/migrations/rls-0001-tenant-policies.js';
import { prepareAppend, streamTenantMismatch, tenantMismatch, type PreparedAppend } from '../sql/prepare-append.js';
import { AppendConflictError, openFailure, unavailableOr } from '../sql/store-errors.js';
import { checkIdText, feedRange, MAX_POSITION_64, MAX_STREAM_VERSION, streamRange } from '../store-input.js';
import { pageEvents } from '../page-events.js';
import { readStreamPage, streamPageOf, type StreamPage } from '../stream-page.js';
import { storedEvent } from '../plain-objects.js';
import { eventExistsQuery, pageStream, readStreamVersion, streamPageQuery } from '../sql/stream-queries.js';
import { createPostgresDatabase, type PostgresConnection } from './postgres-dialect.js';
import {
  FEED_START,
  feedFlag,
  feedStatement,
  feedStatementKey,
  type FeedKey,
  type FeedStatement,
} from './postgres-feed-statement.js';
import { isoTimestamp, READ_TYPES } from './postgres-read-types.js';
import { StatementNames } from './postgres-statement-names.js';
import {
  APPEND_NOTIFY_CHANNEL,
  appendOneParameters,
  appendOneStatement,
  appendParameters,
  appendStatement,
  HORIZON,
  packPosition,
  STREAM_STATE,
  unpackPosition,
} from './postgres-statements.js';
import { PostgresAppendNotifier } from './postgres-append-notifier.js';
import { PostgresGroupCommit, type GroupMember } from './postgres-group-commit.js';
import { StoreGate } from '../store-gate.js';
import { uniqueViolation } from '../sql/unique-violation.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

/**
 * How to open a {@link PostgresEventStore}. To bound how long any statement may run, set the
 * server-side timeout on the pool: `pool: { statement_timeout: 30_000 }` (ms). PostgreSQL then
 * stops a statement whose caller has given up, and the store reports it as a retryable
 * `EventStoreUnavailableError` with `reason: 'timeout'`. (pg's `query_timeout` only stops waiting
 * on the client; the statement keeps running on the server.)
 */
export type PostgresEventStoreOptions = PostgresConnection & {
  readonly registry: EventRegistry;
  /**
   * Identifies the store in positions (checkpoints and dead letters keep them). The database keeps
   * its id (table `eventsmith_store_identity`, migration `0005_store_identity`), so a copy, a
   * rename or a restore under another name keeps it; this option sets the id of a database that
   * keeps none yet. Default: the id its checkpoints carry, if they all carry one (a database
   * restored under another name before 0005), else `pg:<database>`. Opening a database that keeps
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
  /** Table layout, used when migrating (see `MigrateEventStoreOptions.layout`). Default standard. */
  readonly layout?: PostgresLayout;
  /**
   * Run tenant views under the row-level security policies: each of their operations runs in a
   * transaction with `eventsmith.tenant_id` set, and the policies migration is applied on open.
   * Policies only bind roles that do not own the tables; see `TENANT_SETTING`.
   */
  readonly rowLevelSecurity?: boolean;
  /** Rows fetched per query by `readStream` and `readAll`. Default 1000. */
  readonly pageSize?: number;
  /** How often an append that lost a race it can retry (an 'any' append, say) tries again. Default 10. */
  readonly appendRetries?: number;
  /**
   * After an append commits, the store sends `NOTIFY` on this channel, so `PostgresNotifyWakeUp`
   * listeners wake up for appends made by any process. Notifications are sent outside the
   * append's transaction (appends never wait on PostgreSQL's notify-queue lock) and throttled:
   * the first commit after a quiet spell notifies at once, and under a stream of commits one
   * notification per `notifyIntervalMs` covers all of them (always one after the last commit).
   * Default `'eventsmith_events'`; `false` turns it off (subscriptions then rely on polling).
   */
  readonly notifyChannel?: string | false;
  /**
   * Under a stream of commits, at most one notification per this many milliseconds (default 10):
   * a listener hears of a commit at most this much later than without the throttle, and the
   * store sends one notification per interval instead of one per commit (each costs this process
   * and the server a round trip's CPU, and every listener a wake-up and a read). A commit after a
   * quiet spell is notified at once. Lower it for lower latency under a steady stream of commits
   * at the cost of CPU; `0`: one notification per commit, or per notification round trip when
   * commits come faster.
   */
  readonly notifyIntervalMs?: number;
  /**
   * Group commit (default true): appends made outside a transaction while another append is
   * being written are written together, with one commit, each with its own version check and its
   * own result or error. One writer at a time writes as without it, at once (the queue costs it
   * about 5 µs more CPU per append in this process). Under concurrent
   * writers it spends less CPU per event (with 8 writers, about two fifths of the server's and
   * half of your process's), so more appends fit in the same machine; it costs two more
   * connections (opened when the first group forms), and an append waits for the group in flight
   * and for its own group's stream locks (at most 200 ms for another transaction's lock, then it
   * goes on alone). `false`: every append in a transaction of its own.
   */
  readonly groupCommit?: boolean;
};

/** {@link EventStoreTransaction} on PostgreSQL: `sql` is the Kysely transaction of the append. */
export interface PostgresEventStoreTransaction extends EventStoreTransaction {
  readonly sql: Transaction<any>;
}

interface Shared {
  readonly registry: EventRegistry;
  readonly storeId: string;
  readonly db: Kysely<EventStoreTables>;
  /** The pool under `db`, for the append's named (server-side prepared) statements. */
  readonly pool: pg.Pool;
  readonly target: string;
  readonly partitioned: boolean;
  readonly rowLevelSecurity: boolean;
  readonly pageSize: number;
  readonly retries: number;
  readonly notifyChannel: string | undefined;
  /** Sends the channel's notifications after commits; undefined without a channel. */
  readonly notifier: PostgresAppendNotifier | undefined;
  /** Store transactions that appended: they notify once they have committed. */
  readonly appendedIn: WeakSet<object>;
  /** Store transactions a failed append statement aborted, with the error it was reported as. */
  readonly abortedBy: WeakMap<object, unknown>;
  /** Statement texts run as named statements when they come through `db` (see `createPostgresDatabase`). */
  readonly namedStatements: Map<string, string>;
  /** Append statement texts by name (see `#appendText`). */
  readonly appendTexts: Map<string, string>;
  /** Registers other code's statement texts (the outbox insert) in `namedStatements`: transactions' `nameStatement`. */
  readonly nameStatement: StatementNamer;
  /** Names of the read statements run as named statements on the pool. */
  readonly readNames: StatementNames;
  /** Feed page statements by `feedStatementKey`. */
  readonly feedStatements: Map<string, FeedStatement>;
  /** Stream page statement texts by shape (see `#streamStatement`). */
  readonly streamStatements: string[];
  /** Shares commits between concurrent appends; undefined with `groupCommit: false`. */
  readonly groupCommit: PostgresGroupCommit | undefined;
  /** Refuses appends, reads and transactions once `close()` has begun, and lets it wait for the ones accepted. */
  readonly gate: StoreGate;
}

type Executor = Kysely<any>;
type FeedRow = EventRow & { tx_id: string; position: string };
/**
 * The append statement's row: `version` and `position` are null when it wrote nothing (the
 * one-event statement, `appendOneStatement`, returns no row then, unless it is a `refuse`
 * variant); `duplicate` names an event id already stored (`refuse` variants only).
 */
type AppendRow = { version: number | null; position: string | null; tx: string; duplicate?: string | null };

/** SQLSTATE of a statement sent after a failed one, in the transaction it aborted. */
const IN_FAILED_TRANSACTION = '25P02';
/** How many times `readAll` re-reads a short page while committed rows wait above the horizon. */
const SETTLE_ATTEMPTS = 3;
/**
 * Distinct read statements (feed filters, stream page variants) a store prepares on each pooled
 * connection; further ones run unnamed. A prepared feed statement holds ~0.3 MB of plan cache in
 * each server connection that ran it.
 */
const NAMED_READS = 20;
/**
 * Statement texts other code (the SQL outbox's insert) may register through a transaction's
 * internal `nameStatement` method; later ones run unnamed.
 */
const NAMED_OTHERS = 32;
/** Feed statements kept built (by filter); others are built for each read. */
const FEED_STATEMENTS = 256;
const SELECT = [...EVENT_COLUMNS, 'tx_id', 'position'];

/**
 * The production event store, on PostgreSQL 13+ (pg via Kysely's `PostgresDialect`). Payloads are
 * JSONB; envelope fields are typed, indexed columns.
 *
 * **Appends** are one statement, one round trip: a CTE updates the stream's row under its
 * expected-version condition and inserts every event of the batch from arrays (`unnest`), or a
 * single event from scalar parameters. Racing writers queue on the stream row; exactly one with a
 * given expectation wins and the others get `ConcurrencyError`. Appends that lost only because of
 * timing (an `'any'` append, or a stale ordering check) are retried.
 *
 * **The feed never skips.** Positions from a sequence are handed out in insert order, not commit
 * order, so "read everything after position P" can miss a row that commits after a higher one was
 * read. Every row therefore records its writing transaction (`tx_id = pg_current_xact_id()`), the
 * feed is ordered by (`tx_id`, `position`), and a read returns only rows whose `tx_id` is below the
 * horizon: the oldest transaction still running in this database (see `HORIZON`). Below it the
 * set of rows is final, so a reader that resumes after a (tx_id, position) never misses anything.
 * The cost: a transaction that stays open delays the feed (not appends) until it ends. Positions
 * pack both numbers and exceed 64 bits: store `position.toString()`, not `position.value`, in
 * checkpoint columns.
 *
 * **Prepared statements.** Appends (inside `transaction()` too), the SQL outbox's insert in a
 * transaction (`SqlOutboxStore.add`, up to 16 events) and the feed and stream reads run as named
 * statements, which each pooled connection parses and plans once. Behind a connection
 * pooler, use session pooling (or PgBouncer 1.21+ with `max_prepared_statements`).
 *
 * **Transactions.** `transaction(fn)` gives `fn` the Kysely transaction as `tx.sql`; projection
 * rows, checkpoints and outbox rows written through it commit with `tx.appendToStream(...)`, and
 * `PostgresSnapshotStore` writes made inside `fn` join it. An append refused inside `fn` (an
 * expected version or tenant it does not match, an event id already stored) writes nothing and
 * leaves the transaction usable: its statement checks first and fails on nothing it can see, with
 * no savepoint. A SQL statement that fails aborts a PostgreSQL transaction, though, and an append
 * can still fail: on an event id that a concurrent transaction had written but not committed when
 * the append started (or, under row-level security, one in another tenant's stream), on a
 * deadlock, a timeout or a trigger. Its error (a `DuplicateEventError` for an id) is then also the
 * error of every later append in `fn` and of `transaction()` itself: run the transaction again.
 * Reads through the store inside `fn` (`readStream`, `getStreamVersion`, …) run on another
 * connection of the pool and see committed events only, while the transaction keeps its own: size
 * the pool above the number of transactions that read this way at once, or read through `tx.sql`.
 *
 * @example
 * ```ts
 * const store = await PostgresEventStore.open({ url: process.env.DATABASE_URL!, registry });
 * await store.transaction(async (tx) => {
 *   await tx.appendToStream('BankAccount-1', [deposited], { expectedVersion: 1 });
 *   await tx.sql.insertInto('account_balance').values({ id: '1', balance: '10' }).execute();
 * });
 * ```
 */
export class PostgresEventStore implements EventStore {
  readonly #shared: Shared;
  readonly #tenantId: string | undefined;
  readonly #close: () => Promise<void>;
  /** The transaction id of the row #position packed last, and it shifted into the high 64 bits. */
  #lastTx = '';
  #lastTxHigh = 0n;

  private constructor(shared: Shared, tenantId: string | undefined, close: () => Promise<void>) {
    this.#shared = shared;
    this.#tenantId = tenantId;
    this.#close = close;
  }

  /** Connects (and by default migrates). Throws `EventStoreUnavailableError` if the server cannot be reached. */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const notifyChannel =
      options.notifyChannel === false ? undefined : (options.notifyChannel ?? APPEND_NOTIFY_CHANNEL);
    if (notifyChannel !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(notifyChannel)) {
      throw new InvalidArgumentError(
        `notifyChannel must be a plain identifier (letters, digits, underscores), got "${notifyChannel}".`,
      );
    }
    const { notifyIntervalMs } = options;
    if (notifyIntervalMs !== undefined && !(Number.isFinite(notifyIntervalMs) && notifyIntervalMs >= 0)) {
      throw new InvalidArgumentError(
        `notifyIntervalMs must be a non-negative number of milliseconds, got ${notifyIntervalMs}.`,
      );
    }
    const { db, pool, target, database, secrets, openPool, namedStatements } = createPostgresDatabase(options);
    let groupCommit: PostgresGroupCommit | undefined;
    let notifier: PostgresAppendNotifier | undefined;
    const derived = `pg:${database}`;
    try {
      if (options.migrate ?? true) {
        await migrateEventStoreSeeding(
          db,
          {
            dialect: 'postgres',
            ...(options.layout ? { layout: options.layout } : {}),
            ...(options.rowLevelSecurity ? { rowLevelSecurity: true } : {}),
            ...(options.storeId === undefined ? {} : { storeId: options.storeId }),
          },
          { derivedStoreId: derived },
        );
      } else if (options.checkMigrated ?? true) {
        await requireEventStoreMigrated(db, 'postgres', target);
      }
      const probe = await sql<{
        partitioned: boolean;
      }>`select to_regclass('eventsmith_event_ids') is not null as partitioned`.execute(db);
      const storeId = await openStoreId(db, { storeId: options.storeId, derived, target });
      const shared: Shared = {
        registry: options.registry,
        storeId,
        db,
        pool,
        target,
        partitioned: probe.rows[0]?.partitioned ?? false,
        rowLevelSecurity: options.rowLevelSecurity ?? false,
        pageSize: options.pageSize ?? 1000,
        retries: options.appendRetries ?? 10,
        notifyChannel,
        notifier: (notifier =
          notifyChannel === undefined ? undefined : new PostgresAppendNotifier(pool, notifyChannel, notifyIntervalMs)),
        appendedIn: new WeakSet(),
        abortedBy: new WeakMap(),
        namedStatements,
        appendTexts: new Map(),
        nameStatement: registerNamedStatement(namedStatements, NAMED_OTHERS),
        readNames: new StatementNames(NAMED_READS),
        feedStatements: new Map(),
        streamStatements: [],
        groupCommit:
          options.groupCommit === false
            ? undefined
            : (groupCommit = new PostgresGroupCommit({
                openPool,
                unavailable: (error) => unavailableOr(error, target),
                committed: () => notifier?.committed(),
              })),
        gate: new StoreGate(storeId, db),
      };
      // Appends accepted before close() (queued for a group commit or waiting for a connection)
      // finish first; only then are the pools shut.
      return new PostgresEventStore(shared, undefined, () =>
        shared.gate.close(async () => {
          await groupCommit?.close();
          await notifier?.close(); // the notification the last commits are owed, before the pool ends
          await db.destroy();
        }),
      );
    } catch (error) {
      await db.destroy().catch(() => undefined);
      throw openFailure(error, target, secrets);
    }
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
    const append = prepareAppend(this.registry, streamId, events, options, this.#tenantId);
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

  /** An append in a transaction of its own (the pool's, or a tenant's under row-level security), retried while it only lost a timing race. */
  /** Appends inside the open transaction `trx` (`transaction()`'s own, or the ambient one the call joins). */
  #appendInTransaction(trx: Transaction<any>, append: PreparedAppend): Promise<AppendResult> {
    const attributes = {
      [SpanAttributes.store]: this.storeId,
      [SpanAttributes.stream]: append.streamId,
      [SpanAttributes.eventCount]: append.records.length,
    };
    // Inside a transaction a lost race is final, never 'retry'.
    return withSpan(
      'eventsmith.store.append',
      attributes,
      async () => (await this.#append(trx, append, true, true)) as AppendResult,
    );
  }

  async #appendAlone(append: PreparedAppend): Promise<AppendResult> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#scoped((executor) => this.#append(executor, append, attempt >= this.#shared.retries));
      if (outcome !== 'retry') {
        this.#shared.notifier?.committed();
        return outcome;
      }
    }
  }

  /** `append` as a member of a group commit (see `PostgresGroupCommit`). */
  #groupMember(append: PreparedAppend): GroupMember {
    const { partitioned, rowLevelSecurity } = this.#shared;
    const view = append.viewTenant !== undefined;
    return {
      streamId: append.streamId,
      tenant: rowLevelSecurity ? this.#tenantId : undefined,
      append: rowLevelSecurity || partitioned ? undefined : append,
      statement: () => ({
        name: `${appendStatementName(append, view, partitioned)}_state`,
        text: appendStatement(append.expected, view, partitioned, { withState: true }),
        values: appendParameters(append),
      }),
      outcome: (found) => {
        const row = found as (AppendRow & { actual: number | null; actual_tenant: string | null }) | undefined;
        if (!row) return 'alone';
        if (row.version !== null && row.position !== null) return this.#appended(row);
        const stream = row.actual === null ? undefined : { version: row.actual, tenant_id: row.actual_tenant };
        const refusal = this.#refusal(append, stream, false);
        return refusal === 'retry' ? 'alone' : refusal;
      },
      alone: () => this.#appendAlone(append),
    };
  }

  /** Refused once `close()` has begun; `close()` waits for one already running (and its `afterCommit` callbacks). */
  transaction<T>(fn: (tx: PostgresEventStoreTransaction) => Promise<T>): Promise<T> {
    return this.#shared.gate.transaction(() => this.#transaction(fn));
  }

  async #transaction<T>(fn: (tx: PostgresEventStoreTransaction) => Promise<T>): Promise<T> {
    const { db, appendedIn, abortedBy, notifier } = this.#shared;
    let appended = false;
    let open: Transaction<any> | undefined;
    return storeTransaction(
      db,
      {
        run: (body) =>
          db
            .transaction()
            .execute(async (trx) => {
              open = trx;
              await this.#setTenant(trx);
              return body(trx);
            })
            .catch((error: unknown) => {
              // A failed append aborted it: its error, rather than Kysely's "rolled back instead of
              // committed" or the driver's "current transaction is aborted" of a later statement.
              const aborted = open && abortedBy.get(open);
              const abortedLater =
                isAbortedTransactionError(error) ||
                (error as { code?: unknown } | undefined)?.code === IN_FAILED_TRANSACTION;
              return Promise.reject(
                aborted !== undefined && abortedLater ? aborted : unavailableOr(error, this.#shared.target),
              );
            }),
        append: (trx, streamId, events, options) =>
          this.#appendInTransaction(trx, prepareAppend(this.registry, streamId, events, options, this.#tenantId)),
        nameStatement: this.#shared.nameStatement,
        finished: (trx) => void (appended = appendedIn.has(trx)),
        committed: () => {
          if (appended) notifier?.committed();
        },
      },
      fn,
    );
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const { pageSize, gate } = this.#shared;
    let start = 0;
    // pageEvents, not an async generator: an event of a page already read is a promise already settled.
    return pageEvents({
      open: () => {
        start = performance.now();
        gate.check();
        const range = streamRange(streamId, options);
        const tenant = this.#tenantId;
        const text = this.#streamStatement(range.direction === 'backward', tenant !== undefined);
        return pageStream<FeedRow>(
          range,
          range.limit,
          pageSize,
          (page) => {
            const values = [streamId, page.from, page.to, page.limit];
            if (tenant !== undefined) values.push(tenant);
            // Each page is one operation of the gate: close() waits for a page being read, not for the iteration.
            return gate.run(() => this.#read<FeedRow>(CompiledQuery.raw(text, values)));
          },
          (row) => row.version,
        );
      },
      decode: (row) => this.#decode(row),
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
      const { pageSize, gate } = this.#shared;
      gate.check();
      const range = streamRange(streamId, { from });
      const tenant = this.#tenantId;
      const values = [streamId, range.from ?? 1, MAX_STREAM_VERSION, pageSize + 1]; // a row more: does a page follow?
      if (tenant !== undefined) values.push(tenant);
      const text = this.#streamStatement(false, tenant !== undefined);
      const rows = await gate.run(() => this.#read<FeedRow>(CompiledQuery.raw(text, values)));
      return streamPageOf(rows, pageSize, (row) => this.#event(row));
    } finally {
      recordStoreRead(this.storeId, start);
    }
  }

  async getStreamVersion(streamId: string): Promise<number> {
    return this.#shared.gate.run(() => this.#streamVersion(streamId));
  }

  #streamVersion(streamId: string): Promise<number> {
    return readStreamVersion(this.#shared.db, streamId, this.#tenantId, (query) =>
      this.#rows<{ version: number }>(query),
    );
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const start = performance.now();
    try {
      const { gate } = this.#shared;
      gate.check();
      const range = feedRange(this.storeId, options, validPosition);
      const filter = feedFilter(this.registry, options, this.#tenantId);
      if (filter.none) return;
      const statement = this.#feedStatement(filter);
      const pages = readAheadPages<FeedRow, FeedKey>({
        start: range.after === 0n ? FEED_START : unpackPosition(range.after),
        limit: range.limit,
        pageSize: this.#shared.pageSize,
        // Each page is one operation of the gate: close() waits for a page being read, not for the iteration.
        read: (after, n) =>
          gate.run(() => this.#feedPage(CompiledQuery.raw(statement.text, statement.values(filter, after, n + 1)), n)),
        keyOf: (row) => ({ tx: row.tx_id, position: row.position }),
        check: () => gate.check(),
      });
      for await (const { rows } of pages) for (const row of rows) yield this.#decode(row, true);
    } finally {
      recordStoreRead(this.storeId, start); // once per read, when it ends, fails or is abandoned
    }
  }

  /**
   * The text of a stream page statement: $1 the stream, $2 and $3 the version range, $4 the row
   * limit, $5 the tenant of a view. Built once per shape: building and compiling the query with
   * Kysely for every read cost more client CPU than decoding the events of a short stream.
   *
   * A view's tenant is compared with `is not distinct from` ($5 is never null, so it means `=`),
   * which no index serves: the plan reads the stream's rows by (stream_id, version) and checks
   * the tenant on them. With `tenant_id = $5`, the generic plan a connection made while the table
   * was new and never analyzed (autovacuum off or behind) read the tenant's index instead, every
   * event of the tenant, filtered by stream and sorted, and kept that plan as the table grew: at
   * 30k events (10k the tenant's), server CPU per page of a 4-event stream 2.1 ms against 0.07 ms.
   */
  #streamStatement(backward: boolean, tenant: boolean): string {
    const { streamStatements, db } = this.#shared;
    const key = (backward ? 2 : 0) + (tenant ? 1 : 0);
    return (streamStatements[key] ??= streamPageQuery(
      db,
      SELECT,
      sql<string>`$1`,
      { from: sql<number>`$2`, to: sql<number>`$3`, limit: sql<number>`$4`, backward },
      tenant ? sql<string>`$5` : undefined,
      'filter',
    ).sql);
  }

  #feedStatement(filter: Exclude<FeedFilter, { none: true }>): FeedStatement {
    const { feedStatements, db } = this.#shared;
    const key = feedStatementKey(filter);
    let statement = feedStatements.get(key);
    if (!statement) {
      statement = feedStatement(db, filter, SELECT);
      if (feedStatements.size < FEED_STATEMENTS) feedStatements.set(key, statement);
    }
    return statement;
  }

  /**
   * A page of at most `n` rows (and the one after it, if any). A short page while committed rows
   * wait above the horizon: the horizon may have been held back only for an instant (a
   * transaction of this database that ended while the statement ran, or one the horizon could not
   * attribute). Re-read a few times with a fresh snapshot, so a reader sees what committed before
   * it asked; rows of transactions really still in flight keep waiting (never skipped), and the
   * reader only loses a few milliseconds.
   */
  async #feedPage(query: CompiledQuery, n: number): Promise<FeedRow[]> {
    let page = await this.#feedRows(query);
    for (let attempt = 1; page.rows.length <= n && attempt <= SETTLE_ATTEMPTS && page.deferred; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, attempt * 2));
      page = await this.#feedRows(query);
    }
    return page.rows;
  }

  async #feedRows(query: CompiledQuery): Promise<{ rows: FeedRow[]; deferred: boolean }> {
    const rows = await this.#read<FeedRow & { deferred: boolean | null }>(query);
    const deferred = feedFlag(rows);
    return { rows, deferred };
  }

  /**
   * The last row below the horizon, as a reader asking now would see it. Like `readAll`, when
   * committed rows wait at or above the horizon it reads again a few times with a fresh snapshot:
   * the horizon may have been held back only for an instant, by a transaction of another database
   * that ended while the statement ran (it could not be attributed, so it was kept). Read once,
   * such an instant gave a position before appends that had already returned, so a reader
   * starting after it got them again. Rows of transactions really in flight keep waiting.
   */
  async currentPosition(): Promise<Position | null> {
    return this.#shared.gate.run(() => this.#currentPosition());
  }

  async #currentPosition(): Promise<Position | null> {
    const tenant = this.#tenantId === undefined ? sql`` : sql` and tenant_id = ${this.#tenantId}`;
    // One horizon for both parts: a committed row is either the last one below it or makes `deferred` true.
    const query = sql`with eventsmith_horizon as (select ${sql.raw(HORIZON)} as h)
      select p.tx_id, p.position, (select true from eventsmith_events
        where tx_id >= (select h from eventsmith_horizon)${tenant} limit 1) is not null as deferred
      from (select 1) as one left join lateral (select tx_id, position from eventsmith_events
        where tx_id < (select h from eventsmith_horizon)${tenant} order by tx_id desc, position desc limit 1) as p on true`.compile(
      this.#shared.db,
    );
    type Row = { tx_id: string | null; position: string | null; deferred: boolean };
    let [row] = await this.#rows<Row>(query);
    for (let attempt = 1; row?.deferred === true && attempt <= SETTLE_ATTEMPTS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, attempt * 2));
      [row] = await this.#rows<Row>(query);
    }
    return row?.tx_id != null && row.position != null
      ? Position.of(this.storeId, packPosition(row.tx_id, row.position))
      : null;
  }

  async eventExists(eventId: string): Promise<boolean> {
    checkIdText('event id', eventId);
    const query = eventExistsQuery(this.#shared.db, eventId, this.#tenantId);
    return this.#shared.gate.run(async () => (await this.#rows(query)).length > 0);
  }

  forTenant(tenantId: string): PostgresEventStore {
    checkIdText('tenant id', tenantId, true);
    if (sameTenantView('event store', this.#tenantId, tenantId)) return this;
    return new PostgresEventStore(this.#shared, tenantId, this.#close);
  }

  /**
   * Ends the pool, once the appends, reads and transactions already accepted (appends queued for
   * a group commit or waiting for a connection included) have finished; later calls (appends,
   * reads, the next page of an iteration, transactions) fail with `EventStoreClosedError`. Views
   * made with `forTenant` share the pool and close with it.
   */
  async close(): Promise<void> {
    await this.#close();
  }

  /**
   * One append attempt on `executor`. Returns the result, `'retry'` when the append lost only a
   * timing race and a new transaction would pass, or throws. `caller`: `executor` is the caller's
   * transaction (`transaction()`), which a refused append must leave usable.
   */
  async #append(
    executor: Executor,
    append: PreparedAppend,
    final: boolean,
    caller = false,
  ): Promise<AppendResult | 'retry'> {
    const { abortedBy, partitioned, rowLevelSecurity } = this.#shared;
    if (caller) {
      const aborted = abortedBy.get(executor);
      if (aborted !== undefined) throw aborted;
    }
    let row: AppendRow | undefined;
    try {
      const view = append.viewTenant !== undefined;
      // In the caller's transaction, the variant that refuses a duplicate event id it can see
      // instead of failing on it (a failed statement would abort the transaction).
      const refuse = caller ? (view && rowLevelSecurity ? 'hidden-streams' : 'visible') : undefined;
      const one = append.records.length === 1;
      const variant = refuse === undefined ? '' : refuse === 'visible' ? '_refuse' : '_hidden';
      const name = `${appendStatementName(append, view, partitioned)}${variant}${one ? '_one' : ''}`;
      const text = this.#appendText(name, () =>
        one
          ? appendOneStatement(append.expected, view, partitioned, refuse)
          : appendStatement(append.expected, view, partitioned, refuse ? { refuse } : {}),
      );
      const values = one ? appendOneParameters(append) : appendParameters(append);
      // A named statement either way, so each pooled connection parses and plans the CTE once
      // rather than on every append: outside a transaction on the pool; inside one (the caller's,
      // or a tenant view's under row-level security), Kysely's connection names it, as the text is
      // one of `namedStatements`. Inside transaction(), server CPU per transaction (backend /proc,
      // same-process A/B against unnamed, 30 alternating rounds of 200): one event 480 -> 225 µs,
      // one event and an outbox row 616 -> 353, two events 499 -> 256.
      if (executor === this.#shared.db) {
        ({
          rows: [row],
        } = await this.#shared.pool.query<NonNullable<typeof row>>({ name, text, values }));
      } else {
        ({
          rows: [row],
        } = await executor.executeQuery<AppendRow>(CompiledQuery.raw(text, values)));
      }
    } catch (error) {
      const failure = await this.#translate(executor, error, append);
      if (!caller) throw failure;
      // PostgreSQL has aborted the caller's transaction: later appends and the commit fail with this.
      const reported = failure instanceof DuplicateEventError ? abortingDuplicate(failure.eventId) : failure;
      abortedBy.set(executor, reported);
      throw reported;
    }
    if (row && row.version !== null && row.position !== null) {
      if (executor !== this.#shared.db) this.#shared.appendedIn.add(executor);
      return this.#appended(row);
    }
    // Nothing written: find out why from the stream's committed state.
    const { rows } = await executor.executeQuery<{ version: number; tenant_id: string | null }>(
      CompiledQuery.raw(STREAM_STATE, [append.streamId]),
    );
    const refusal = this.#refusal(append, rows[0], final);
    // A duplicate event id stopped the statement before its stream step: the stream's own refusal
    // (an expected version or a tenant it does not match) comes first, as it does without the check.
    const duplicate = row?.duplicate;
    if (duplicate != null && (refusal === 'retry' || refusal instanceof AppendConflictError)) {
      throw new DuplicateEventError(duplicate);
    }
    if (refusal === 'retry') return refusal;
    throw refusal;
  }

  /**
   * The text of the append statement variant `name`, built once: the same string each time, which
   * the pool's clients find in `namedStatements` and run as the named statement `name`.
   */
  #appendText(name: string, build: () => string): string {
    const { appendTexts, namedStatements } = this.#shared;
    let text = appendTexts.get(name);
    if (text === undefined) {
      text = build();
      appendTexts.set(name, text);
      namedStatements.set(text, name);
    }
    return text;
  }

  #appended(row: AppendRow): AppendResult {
    return {
      nextVersion: row.version!,
      position: Position.of(this.storeId, packPosition(row.tx, row.position!)),
    };
  }

  /**
   * Why an append whose statement wrote nothing was refused, from the stream's state (`undefined`:
   * no row, or one the policies hide): the error to throw, or `'retry'` when it only lost a timing
   * race and a new transaction would pass (unless `final`).
   */
  #refusal(
    append: PreparedAppend,
    stream: { version: number; tenant_id: string | null } | undefined,
    final: boolean,
  ): Error | 'retry' {
    const mismatch = streamTenantMismatch(append, stream);
    if (mismatch) return mismatch;
    if (append.viewTenant !== undefined && !stream && this.#shared.rowLevelSecurity) {
      // The append met a stream row the policies hide from this tenant: another tenant's stream.
      return tenantMismatch(append, append.viewTenant);
    }
    const actual = stream?.version ?? 0;
    if (!matchesExpectedVersion(append.expected, actual))
      return new ConcurrencyError(append.streamId, append.expected, actual);
    if (!final) return 'retry';
    return new AppendConflictError(
      append.streamId,
      append.expected,
      actual,
      'a transaction that started later appended to this stream first, and this append would sort before it in the feed.',
    );
  }

  async #translate(executor: Executor, error: unknown, append: PreparedAppend): Promise<unknown> {
    const { code, detail } = error as { code?: string; detail?: string };
    const constraint = uniqueViolation(error)?.constraint;
    if (constraint === 'eventsmith_events_event_id_key' || constraint === 'eventsmith_event_ids_pkey') {
      const id = /\(event_id\)=\((.*)\) already exists/.exec(detail ?? '')?.[1];
      return new DuplicateEventError(id ?? append.records[0]!.eventId);
    }
    if (constraint === 'eventsmith_events_stream_version_key' || constraint === 'eventsmith_events_pkey') {
      // Events written around the streams table: the stream holds at least the version the key
      // names. `executor` is a transaction this error aborted (a tenant view's or the caller's),
      // or the pool; the stream is read again only from the pool, as waiting for a second
      // connection while holding the transaction's can deadlock a small pool.
      const named = /\(stream_id, version\)=\(.*, (\d+)\) already exists/.exec(detail ?? '')?.[1];
      const version =
        named !== undefined
          ? Number(named)
          : executor === this.#shared.db
            ? await this.#streamVersion(append.streamId).catch(() => 0)
            : 0;
      return new ConcurrencyError(append.streamId, append.expected, version);
    }
    if (code === '42501' && append.viewTenant !== undefined) return tenantMismatch(append, append.viewTenant);
    return unavailableOr(error, this.#shared.target);
  }

  /** Runs `fn` on the pool, or for a tenant view under row-level security, in a transaction with the tenant set. */
  async #scoped<T>(fn: (executor: Executor) => Promise<T>): Promise<T> {
    try {
      if (!this.#shared.rowLevelSecurity || this.#tenantId === undefined) return await fn(this.#shared.db);
      return await this.#shared.db.transaction().execute(async (trx) => {
        await this.#setTenant(trx);
        return fn(trx);
      });
    } catch (error) {
      throw unavailableOr(error, this.#shared.target);
    }
  }

  async #setTenant(trx: Transaction<any>): Promise<void> {
    if (!this.#shared.rowLevelSecurity || this.#tenantId === undefined) return;
    await sql`select set_config(${TENANT_SETTING}, ${this.#tenantId}, true)`.execute(trx);
  }

  async #rows<R>(query: CompiledQuery): Promise<R[]> {
    return this.#scoped(async (executor) => (await executor.executeQuery<R>(query)).rows);
  }

  /**
   * {@link #rows} for the hot reads (feed and stream pages): on the pool they run as named
   * statements, so a connection parses each once and reuses its plan (see `StatementNames`).
   */
  async #read<R>(query: CompiledQuery): Promise<R[]> {
    const { rowLevelSecurity, readNames, pool } = this.#shared;
    if (rowLevelSecurity && this.#tenantId !== undefined) return this.#rows(query);
    const name = readNames.of(query.sql);
    try {
      const values = query.parameters as unknown[];
      const text = query.sql;
      return (await pool.query(name ? { name, text, values, types: READ_TYPES } : { text, values, types: READ_TYPES }))
        .rows as R[];
    } catch (error) {
      throw unavailableOr(error, this.#shared.target);
    }
  }

  #decode(row: FeedRow, feed = false): StoredEvent {
    const { registry, storeId } = this.#shared;
    // Timestamps arrive as text from #read (READ_TYPES), or as the application's pg parsers make
    // them (tenant views under row-level security read through Kysely).
    const occurred = row.occurred_at;
    const stored = row.stored_at;
    const position = Position.of(storeId, this.#position(row.tx_id, row.position));
    const storedAt = typeof stored === 'string' ? new Date(storedTimes.millis(stored)) : stored;
    // row.data goes to the general path too if this fails: a payload the compiled check or zod
    // refuses is left as it was read.
    const event = decodeAtCurrentVersion(registry, row.event_type, row.event_version, row, payloadOf, envelopeOf);
    if (event !== undefined) return storedEvent(event, row.stream_id, row.version, position, storedAt);
    const record: EventRecord = {
      eventId: row.event_id,
      eventType: row.event_type,
      eventVersion: row.event_version,
      aggregateId: row.aggregate_id,
      aggregateType: row.aggregate_type,
      aggregateVersion: row.version,
      occurredAt: typeof occurred === 'string' ? isoTimestamp(occurred) : occurred.toISOString(),
      tenantId: row.tenant_id,
      actorId: row.actor_id,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
      metadata: row.metadata as EventRecord['metadata'],
      data: row.data as EventRecord['data'],
    };
    const location = { streamId: row.stream_id, streamVersion: row.version, position, storedAt };
    // occurredAt goes to the registry as the number it is.
    const occurredAt = typeof occurred === 'string' ? occurredTimes.millis(occurred) : occurred.getTime();
    return storedEventFromRecord(registry, record, location, feed, occurredAt);
  }

  /** The event of a stream row, as {@link #decode} decodes it, without its location. */
  #event(row: FeedRow): DomainEvent {
    const event = decodeAtCurrentVersion(
      this.#shared.registry,
      row.event_type,
      row.event_version,
      row,
      payloadOf,
      envelopeOf,
    );
    return event ?? this.#decode(row).event;
  }

  /** `packPosition`, reusing the shifted transaction id while rows share it (a page holds whole appends). */
  #position(tx: string, position: string): bigint {
    if (tx !== this.#lastTx) {
      this.#lastTx = tx;
      this.#lastTxHigh = BigInt(tx) << 64n;
    }
    return this.#lastTxHigh | BigInt(position);
  }
}

/** The payload of a row, for {@link decodeAtCurrentVersion}. */
function payloadOf(row: FeedRow): unknown {
  return row.data;
}

/** The envelope of a row, for {@link decodeAtCurrentVersion}. */
function envelopeOf(row: FeedRow): EventInit {
  const occurred = row.occurred_at;
  return new RowEnvelope(
    row.event_id,
    row.aggregate_id,
    row.aggregate_type,
    row.version,
    typeof occurred === 'string' ? occurredTimes.immutableDate(occurred) : new ImmutableDate(occurred.getTime()),
    row.tenant_id ?? undefined,
    row.actor_id ?? undefined,
    row.correlation_id,
    row.causation_id ?? undefined,
    row.metadata as EventRecord['metadata'],
  );
}

/**
 * The envelope of a row (see {@link envelopeOf}): an instance of a class, not an object literal,
 * made for every row read, so without an allocation site that V8 could decide to allocate in the
 * old generation (see `plain-objects.ts`).
 */
class RowEnvelope {
  constructor(
    readonly eventId: string,
    readonly aggregateId: string,
    readonly aggregateType: string,
    readonly aggregateVersion: number,
    readonly occurredAt: Date,
    readonly tenantId: string | undefined,
    readonly actorId: string | undefined,
    readonly correlationId: string,
    readonly causationId: string | undefined,
    readonly metadata: EventRecord['metadata'],
  ) {}
}

/** A `timestamptz` as text (see `READ_TYPES`) in epoch milliseconds: read from the digits in a UTC session. */
function timestampMillis(text: string): number {
  const time = utcTimestampMillis(text, '+00');
  return Number.isNaN(time) ? parseIsoTime(isoTimestamp(text)) : time;
}
const occurredTimes = new LastParsedTime(timestampMillis);
const storedTimes = new LastParsedTime(timestampMillis);

/**
 * A transaction's `nameStatement` (see `statement-naming.ts`): adds `text` to the store's
 * `namedStatements` under `name`, so the pool's clients run it as a named statement on whichever
 * connection it comes through (the transaction's). At most `limit` texts; a name already standing
 * for another text (or a text already named) is left as it is.
 */
function registerNamedStatement(namedStatements: Map<string, string>, limit: number): StatementNamer {
  const names = new Set<string>();
  return (text, name) => {
    if (namedStatements.has(text) || names.has(name) || names.size >= limit) return;
    names.add(name);
    namedStatements.set(text, name);
  };
}

/** Positions pack (transaction id, position), each a non-negative 64-bit integer as PostgreSQL keeps them. */
function validPosition(value: bigint): boolean {
  const { tx, position } = unpackPosition(value);
  return BigInt(tx) <= MAX_POSITION_64 && BigInt(position) <= MAX_POSITION_64;
}

/** The name of `append`'s statement variant, prepared on each pooled connection that runs it. */
function appendStatementName(append: PreparedAppend, view: boolean, partitioned: boolean): string {
  const kind = typeof append.expected === 'number' ? (append.expected === 0 ? 'no_stream' : 'exact') : append.expected;
  return `eventsmith_append_${kind}${view ? '_view' : ''}${partitioned ? '_partitioned' : ''}`;
}

/**
 * The error of an append in the caller's transaction that failed on an event id its check could
 * not see (see `AppendStatementOptions.refuse`): PostgreSQL has aborted the transaction.
 */
function abortingDuplicate(eventId: string): DuplicateEventError {
  const error = new DuplicateEventError(eventId);
  error.message =
    `Event ${eventId} is already stored: a concurrent transaction committed it while this append waited for it ` +
    "(or, under row-level security, it is in another tenant's stream). The failed insert aborted this PostgreSQL " +
    'transaction, so nothing in it is committed; run the transaction again.';
  return error;
}
