import type { Database } from 'better-sqlite3';
import { BetterSqlite3 } from './sqlite-driver.js';
import { basename } from 'node:path';
import { Kysely, sql, type CompiledQuery, type Transaction } from 'kysely';
import { EventStoreBusyError, InvalidArgumentError } from '../../errors.js';
import { decodeAtCurrentVersion, decodeRecordAt } from '../../events/decode-record.js';
import type { DomainEvent, EventInit } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { LastParsedTime } from '../../events/iso-time.js';
import { recordStoreRead } from '../../telemetry/metrics.js';
import { SpanAttributes, withSpan, withSpanSync } from '../../telemetry/tracing.js';
import type {
  AppendOptions,
  AppendResult,
  EventStore,
  EventStoreTransaction,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
} from '../event-store.js';
import { Position } from '../position.js';
import { readFeedPage, type FeedPage } from '../feed-page.js';
import { readStreamPage, streamPageOf, type StreamPage } from '../stream-page.js';
import { currentTransaction, storeTransaction } from '../sql/ambient-transaction.js';
import { EVENT_COLUMNS, feedFilter, storedEventFromRecord, type FeedFilter } from '../sql/event-rows.js';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { FEED_BRANCHES_MAX, feedQuery } from '../sql/feed-query.js';
import { pageEvents } from '../page-events.js';
import { storedEvent } from '../plain-objects.js';
import { eventExistsQuery, pageStream, readStreamVersion, streamPageQuery } from '../sql/stream-queries.js';
import { migrateEventStoreSeeding, requireEventStoreMigrated } from '../sql/migrate-event-store.js';
import { openStoreId } from '../sql/store-identity.js';
import { prepareAppend, type PreparedAppend } from '../sql/prepare-append.js';
import { openFailure, unavailableOr } from '../sql/store-errors.js';
import { MAX_STREAM_VERSION, checkIdText, feedRange, streamRange } from '../store-input.js';
import { appendAlone, appendOnConnection } from './sqlite-append.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';
import { StoreGate } from '../store-gate.js';
import { SqliteStoreDialect, type SqliteStoreConnection, type SqliteStoreDriver } from './sqlite-dialect.js';
import { scratchDatabaseFile, type ScratchDatabaseFile } from './scratch-database-file.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

export interface SqliteEventStoreOptions {
  /**
   * Database file, created if missing. `':memory:'` (or `''`) gives a throw-away store: a private
   * file in the system's temporary directory, deleted on `close()`, so that reads beside a
   * transaction see only committed events, as with a named file (an in-memory SQLite database
   * would put reader and writer on one connection).
   */
  readonly filename: string;
  readonly registry: EventRegistry;
  /**
   * Identifies the store in positions (checkpoints and dead letters keep them). The database keeps
   * its id (table `eventsmith_store_identity`, migration `0005_store_identity`), so a copy, a
   * rename or a restore under another name keeps it; this option sets the id of a database that
   * keeps none yet. Default: the id its checkpoints carry, if they all carry one (a database
   * restored under another name before 0005), else `sqlite:<file name>`. Opening a database that keeps
   * another id fails with `StoreIdMismatchError`.
   */
  readonly storeId?: string;
  /**
   * `'FULL'` (default) syncs the write-ahead log on every commit: a committed append survives a
   * power cut. `'NORMAL'` syncs only at checkpoints: several times faster per commit, still never
   * corrupts the file, but the last commits before a power cut (not a process crash) can be lost.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's write lock before failing. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
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
  /**
   * Group commit (default true): appends made outside `transaction()` that arrive while the
   * writer is busy are written together in one transaction with one commit, sharing one sync of
   * the log; each keeps its own version check and outcome. An append that finds the writer free
   * is written at once, alone. `false` gives every append its own transaction.
   */
  readonly groupCommit?: boolean;
}

/** {@link EventStoreTransaction} on SQLite: `sql` is the Kysely transaction of the append. */
export interface SqliteEventStoreTransaction extends EventStoreTransaction {
  readonly sql: Transaction<any>;
}

interface Shared {
  readonly registry: EventRegistry;
  readonly storeId: string;
  readonly db: Kysely<EventStoreTables>;
  readonly writer: SqliteStoreDriver;
  /** A second, read-only connection, for reads while the writer is in use (see {@link SqliteEventStore.#readConnection}). */
  readonly reader: SqliteStoreConnection;
  readonly target: string;
  /** The busy timeout both connections wait for a lock, in ms. */
  readonly busyTimeout: number;
  readonly pageSize: number;
  /** Batches appends made outside transactions, unless turned off. */
  readonly groupCommit: SqliteGroupCommit | undefined;
  /** Read statements compiled once per shape (see {@link SqliteEventStore.#compiled}). */
  readonly compiled: Map<string, PackedQuery>;
  readonly close: () => Promise<void>;
  /** Refuses appends, reads and transactions once `close()` has begun, and lets it wait for the ones accepted. */
  readonly gate: StoreGate;
}

/**
 * What a read selects, in this order; rows come back as arrays ({@link EventValues}). A stream
 * read leaves out `stream_id`: it is the stream asked for. A replay (a stream page read for an
 * aggregate) also leaves out where the events are stored: their stored time and position.
 */
const REPLAY_SELECT = EVENT_COLUMNS.filter((column) => column !== 'stream_id' && column !== 'stored_at');
const STREAM_SELECT = [...REPLAY_SELECT, 'stored_at', 'position'];
const FEED_SELECT = [...STREAM_SELECT, 'stream_id'];

/**
 * A read statement compiled by {@link packed}: `sql` selects each row as one text, `split` the
 * same rows the way that cannot fail to parse (see {@link SqliteEventStore.#readValues}).
 */
interface PackedQuery {
  readonly sql: string;
  readonly split: string;
  readonly parameters: readonly unknown[];
  /** The number of columns, which a row parsed from `sql` has. */
  readonly width: number;
}

/**
 * A read statement whose rows each come back as one text: a JSON array of `columns`
 * (`json_array`, TEXT columns as JSON strings) with the `data` text spliced in as the JSON it is,
 * unescaped, in its place. better-sqlite3 turns every column of every row into a JavaScript value
 * through its C++ API, ~0.1 µs each, and a row of several columns into an array set element by
 * element, ~0.2 µs more: for the 15-16 event columns that costs more than the query itself. One
 * text (read in pluck mode, without an array per row) and one `JSON.parse` build the same values,
 * the payload included, for less (CPU per event of a feed page read and decoded, against an array
 * text and the payload text apart: 12-byte payload 2.04-2.13 -> 1.64-1.68 µs, 275 bytes
 * 2.58-2.76 -> 2.24-2.26, 9 KB 26.3-26.8 -> 26.1-26.3). Escaping the payload as a string inside
 * the array would cost more than it saves once a payload passes a few hundred bytes (the 9 KB row
 * took 57 µs instead of 30); spliced in, its text is only copied. A payload text that is not one
 * JSON value cannot make a row of `columns.length` values, and is read again through `split`: the
 * array with `null` in place of `data`, and the `data` text apart (how every row was read before).
 *
 * A plain `select <columns> from eventsmith_events …` gets the text in its select list; any other
 * shape (a union of filter branches) is wrapped, `order` being the inner query's order, which
 * SQLite's plan keeps without sorting again.
 */
function packed(query: CompiledQuery, columns: readonly string[], order: string): PackedQuery {
  const data = columns.indexOf('data');
  const before = `rtrim(json_array(${columns.slice(0, data).map(packedColumn).join(', ')}), ']')`;
  const rest = columns.slice(data + 1).map(packedColumn);
  const after = rest.length > 0 ? `',' || ltrim(json_array(${rest.join(', ')}), '[')` : `']'`;
  const list = columns.map((column) => `"${column}"`).join(', ');
  const plain = `select ${list} from "eventsmith_events" `;
  const select = (values: string) =>
    query.sql.startsWith(plain)
      ? `select ${values} from "eventsmith_events" ${query.sql.slice(plain.length)}`
      : `select ${values} from (${query.sql}) order by ${order}`;
  return {
    sql: select(`${before} || ',' || "data" || ${after}`),
    split: select(`json_array(${columns.map(packedColumn).join(', ')}), "data"`),
    parameters: query.parameters,
    width: columns.length,
  };
}

/**
 * A column's value in the packed array. The correlation id, never null in the table, is null when
 * it is the event id (as it is unless set): a string of 36 characters less per row to build,
 * escape and parse.
 */
function packedColumn(column: string): string {
  if (column === 'data') return 'null';
  if (column === 'correlation_id') return 'nullif("correlation_id", "event_id")';
  return `"${column}"`;
}

const storedTimes = new LastParsedTime();
const occurredTimes = new LastParsedTime();

/** Named placeholders of the compiled read statements, bound on each read. */
const STREAM = sql<string>`@stream`;
const FROM = sql<number>`@from`;
const TO = sql<number>`@to`;
const AFTER = sql<number>`@after`;
/**
 * The page size, read through a cast for the reason the dialect's compiler casts every `LIMIT`
 * parameter (`SqliteStoreQueryCompiler` in sqlite-dialect.ts): SQLite prepares a statement whose
 * `LIMIT` is a bare parameter again on every run. This one is a named parameter in raw SQL, which
 * the compiler leaves as it is. Preparing the stream read again cost about 87,000 instructions,
 * 19% of a repository load's (callgrind).
 */
const LIMIT = sql<number>`cast(@limit as integer)`;
const TENANT = sql<string>`@tenant`;
const COMPILED_LIMIT = 256;
/** Page cache of the writer connection, in KiB. */
const WRITER_CACHE_KIB = 32 * 1024;
/** Log pages after which a commit checkpoints the write-ahead log into the database file. */
const WRITER_CHECKPOINT_PAGES = 4000;

/** The values of a replay's row ({@link REPLAY_SELECT}); every read's rows start with them. */
type ReplayValues = [
  version: number,
  eventId: string,
  eventType: string,
  eventVersion: number,
  aggregateType: string,
  aggregateId: string,
  tenantId: string | null,
  occurredAt: string,
  actorId: string | null,
  /** Null when it is the event id (see {@link packedColumn}). */
  correlationId: string | null,
  causationId: string | null,
  metadata: string,
  /** The payload, parsed (see {@link packed}), or its text where it does not parse ({@link UnparsedData}). */
  data: unknown,
];

/** The values of a stream or feed row ({@link STREAM_SELECT}, {@link FEED_SELECT}). */
type EventValues = [...ReplayValues, storedAt: string, position: number, streamId?: string];

/** A row of any read, for what reads the event columns alone. */
type EventRow = ReplayValues | EventValues;

/**
 * The embedded event store: one SQLite file in WAL mode, no server. Appends run on one writer
 * connection (`BEGIN IMMEDIATE`, so the version check and the inserts cannot race). Reads see only
 * committed events and never wait for a transaction: they run on the writer connection while it is
 * idle (no transaction open, no append waiting), where the pages the last append wrote are still
 * cached, and otherwise on a second, read-only connection.
 * Global positions are rowids handed out by the single writer, so they follow commit order and the
 * feed never skips.
 *
 * `':memory:'` keeps that isolation: it opens a private temporary file (deleted on `close()`)
 * rather than an in-memory database, whose one connection would let reads see the uncommitted
 * events of an open transaction, and hand a rolled-back event's position to the next append.
 *
 * `transaction(fn)` gives `fn` the Kysely transaction as `tx.sql`: projection rows, checkpoints and
 * outbox rows written through it commit together with `tx.appendToStream(...)`. Writes made through
 * the store or a `SqliteSnapshotStore` from inside `fn` join that transaction too.
 *
 * @example
 * ```ts
 * const store = await SqliteEventStore.open({ filename: 'bank.db', registry });
 * await store.appendToStream('BankAccount-1', [opened], { expectedVersion: 'no_stream' });
 * await store.transaction(async (tx) => {
 *   await tx.appendToStream('BankAccount-1', [deposited], { expectedVersion: 1 });
 *   await tx.sql.insertInto('account_balance').values({ id: '1', balance: '10' }).execute();
 * });
 * await store.close();
 * ```
 */
export class SqliteEventStore implements EventStore {
  readonly #shared: Shared;
  readonly #tenantId: string | undefined;
  /** The statement of {@link readStreamPage}, kept here: building its key in {@link #compiled} cost more than the lookup. */
  #replayQuery: PackedQuery | undefined;

  private constructor(shared: Shared, tenantId: string | undefined) {
    this.#shared = shared;
    this.#tenantId = tenantId;
  }

  /** Opens (and by default migrates) a store. */
  static async open(options: SqliteEventStoreOptions): Promise<SqliteEventStore> {
    const synchronous = options.synchronous ?? 'FULL';
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      throw new InvalidArgumentError(`synchronous must be 'FULL' or 'NORMAL', got "${String(synchronous)}".`);
    }
    const busyTimeout = options.busyTimeoutMs ?? 5000;
    const memory = options.filename === ':memory:' || options.filename === '';
    const target = `sqlite:${memory ? ':memory:' : options.filename}`;
    let writerDb: Database | undefined;
    let readerDb: Database | undefined;
    let scratch: ScratchDatabaseFile | undefined;
    try {
      // ':memory:' runs on a private file that close() deletes: on an in-memory database the
      // reader would have to share the writer's connection, and with it its open transaction.
      scratch = memory ? scratchDatabaseFile() : undefined;
      const filename = scratch?.filename ?? options.filename;
      writerDb = new BetterSqlite3(filename);
      writerDb.pragma('journal_mode = WAL');
      writerDb.pragma(`synchronous = ${scratch ? 'OFF' : synchronous}`); // a scratch file need not survive a crash
      writerDb.pragma(`busy_timeout = ${busyTimeout}`);
      // An append touches a leaf of the events table, of each of its indexes and of the streams
      // table; SQLite's default 2 MiB page cache soon stops holding them all, and every append
      // then reads pages back through the WAL. Pages are allocated only as they are used.
      writerDb.pragma(`cache_size = -${WRITER_CACHE_KIB}`);
      // A checkpoint (run by the commit that fills the log) costs two syncs, a few ms, whatever
      // it copies; an append writes ~8 log pages (~13 for ten events), so at SQLite's default of
      // 1,000 pages every ~130th append paid one: 18-39 µs per single-event append, 68-89 per
      // ten-event append. At 4,000 (a 16 MiB log, still within the first 4,062-frame segment of
      // the log's index that readers search) 5.6-7.2 and 22-58 µs: pages that many appends
      // rewrite (index leaves, the streams table) are copied once per checkpoint.
      // No journal_size_limit: after a checkpoint the log is overwritten in place, and a commit
      // that extends the file syncs slower (single-event appends, median: 556 µs while the log
      // grows, 308 once it is reused); a 4 MiB limit makes every pass regrow it (372 -> 647 µs).
      // Checkpoints on a thread of their own gained nothing (won 6/12 and 7/12 alternating
      // rounds): the appends wait on the same disk's flushes.
      writerDb.pragma(`wal_autocheckpoint = ${WRITER_CHECKPOINT_PAGES}`);
      const dialect = new SqliteStoreDialect({ database: writerDb });
      const db = new Kysely<EventStoreTables>({ dialect });
      const derived = `sqlite:${memory ? 'memory' : basename(options.filename)}`;
      if (options.migrate ?? true)
        await migrateEventStoreSeeding(
          db,
          { dialect: 'sqlite', ...(options.storeId === undefined ? {} : { storeId: options.storeId }) },
          { derivedStoreId: derived },
        );
      else if (options.checkMigrated ?? true) await requireEventStoreMigrated(db, 'sqlite', target);
      readerDb = new BetterSqlite3(filename, { readonly: true });
      readerDb.pragma(`busy_timeout = ${busyTimeout}`);
      const reader = new SqliteStoreDialect({ database: readerDb, role: 'reader' }).createDriver() as SqliteStoreDriver;
      const [w, r, file] = [writerDb, readerDb, scratch];
      const storeId = await openStoreId(db, { storeId: options.storeId, derived, target });
      const shared: Shared = {
        registry: options.registry,
        storeId,
        db,
        writer: dialect.driver,
        groupCommit: (options.groupCommit ?? true) ? new SqliteGroupCommit(dialect.driver, storeId) : undefined,
        reader: reader.connection,
        target,
        busyTimeout,
        pageSize: options.pageSize ?? 1000,
        compiled: new Map(),
        // Appends accepted before close() (queued for the writer) finish first.
        close: () =>
          shared.gate.close(async () => {
            await db.destroy();
            r.close();
            w.close();
            file?.remove();
          }),
        gate: new StoreGate(storeId, db),
      };
      return new SqliteEventStore(shared, undefined);
    } catch (error) {
      readerDb?.close();
      writerDb?.close();
      scratch?.remove();
      throw busyOr(error, target, busyTimeout) ?? openFailure(error, target, []);
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

  /** The Kysely instance on the writer connection: for migrations, snapshot stores and your own tables. */
  get db(): Kysely<EventStoreTables> {
    return this.#shared.db;
  }

  async appendToStream(
    streamId: string,
    events: readonly DomainEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const { registry, storeId, writer, groupCommit } = this.#shared;
    const append = prepareAppend(registry, streamId, events, options, this.#tenantId);
    // Called inside this store's transaction(): join it (the writer connection is already held).
    if (currentTransaction(this.#shared.db)) return this.#appendInTransaction(append);
    const attributes = {
      [SpanAttributes.store]: storeId,
      [SpanAttributes.stream]: streamId,
      [SpanAttributes.eventCount]: events.length,
    };
    // The writer is free: write now, in this call (better-sqlite3 is synchronous), without the
    // promises and the turn of the queue that waiting for it costs.
    if (groupCommit ? groupCommit.mayWriteNow() : writer.free) {
      this.#shared.gate.check();
      return withSpanSync('eventsmith.store.append', attributes, () => {
        try {
          return appendAlone(writer.connection, storeId, append);
        } catch (error) {
          throw this.#failure(error);
        }
      });
    }
    return withSpan('eventsmith.store.append', attributes, () => {
      const written = this.#shared.gate.run(() =>
        groupCommit
          ? groupCommit.append(append)
          : writer.exclusive((connection) => appendAlone(connection, storeId, append)),
      );
      return written.catch((error: unknown) => Promise.reject(this.#failure(error)));
    });
  }

  /** Refused once `close()` has begun; `close()` waits for one already running (and its `afterCommit` callbacks). */
  transaction<T>(fn: (tx: SqliteEventStoreTransaction) => Promise<T>): Promise<T> {
    return this.#shared.gate.transaction(() => this.#transaction(fn));
  }

  async #transaction<T>(fn: (tx: SqliteEventStoreTransaction) => Promise<T>): Promise<T> {
    const { db, registry } = this.#shared;
    return storeTransaction(
      db,
      {
        run: (body) =>
          db
            .transaction()
            .execute(body)
            .catch((error: unknown) =>
              Promise.reject(busyOr(error, this.#shared.target, this.#shared.busyTimeout) ?? error),
            ),
        append: async (_trx, streamId, events, options) =>
          this.#appendInTransaction(prepareAppend(registry, streamId, events, options, this.#tenantId)),
      },
      fn,
    );
  }

  readStream(streamId: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    let start = 0;
    // pageEvents, not an async generator: an event of a page already read is a promise already settled.
    return pageEvents({
      open: () => {
        start = performance.now();
        this.#shared.gate.check(); // and each page, in #readValues
        const range = streamRange(streamId, options);
        const { pageSize } = this.#shared;
        const backward = range.direction === 'backward';
        const tenant = this.#tenantId;
        const query = this.#streamQuery(backward);
        return pageStream(
          range,
          range.limit,
          pageSize,
          async (page) =>
            this.#readValues(query, { stream: streamId, from: page.from, to: page.to, limit: page.limit, tenant }),
          (row) => row[0],
        );
      },
      decode: (row) => this.#decode(row, streamId, false),
      close: () => recordStoreRead(this.storeId, start), // once per read, when it ends, fails or is abandoned
    });
  }

  /**
   * The first page of a stream from `from`, as an array (see {@link readStreamPage}): what
   * `readStream(streamId, { from })` yields first, without a promise per event.
   */
  [readStreamPage](streamId: string, from: number): StreamPage {
    const start = performance.now();
    try {
      this.#shared.gate.check();
      const range = streamRange(streamId, { from });
      const { pageSize } = this.#shared;
      const rows = this.#readValues<ReplayValues>((this.#replayQuery ??= this.#streamQuery(false, REPLAY_SELECT)), {
        stream: streamId,
        from: range.from ?? 1,
        to: MAX_STREAM_VERSION,
        limit: pageSize + 1, // one row more than a page: does another page follow?
        tenant: this.#tenantId,
      });
      return streamPageOf(rows, pageSize, (row) => this.#event(row));
    } finally {
      recordStoreRead(this.storeId, start);
    }
  }

  /** The compiled statement of a stream page in one direction, selecting {@link STREAM_SELECT} or {@link REPLAY_SELECT}. */
  #streamQuery(backward: boolean, select: readonly string[] = STREAM_SELECT): PackedQuery {
    const { db } = this.#shared;
    const tenant = this.#tenantId;
    return this.#compiled(`stream ${backward} ${tenant !== undefined} ${select.length}`, () =>
      packed(
        streamPageQuery(
          db,
          select,
          STREAM,
          { from: FROM, to: TO, limit: LIMIT, backward },
          tenant === undefined ? undefined : TENANT,
        ),
        select,
        backward ? 'version desc' : 'version',
      ),
    );
  }

  async getStreamVersion(streamId: string): Promise<number> {
    return readStreamVersion(this.#shared.db, streamId, this.#tenantId, (query) =>
      this.#read<{ version: number }>(query),
    );
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const start = performance.now();
    try {
      this.#shared.gate.check(); // and each page, in #readValues
      const range = feedRange(this.storeId, options);
      const filter = feedFilter(this.registry, options, this.#tenantId);
      if (filter.none) return;
      let after = range.after;
      let limit = range.limit;
      const { pageSize } = this.#shared;
      const query = this.#feedQuery(filter);
      while (limit > 0) {
        const n = Math.min(pageSize, limit);
        const rows = this.#readValues(query, { after: Number(after), limit: n + 1, tenant: filter.tenantId });
        const more = rows.length > n && n < limit; // one row more than a page: is there another page?
        if (rows.length > n) rows.length = n;
        for (const row of rows) yield this.#decode(row, row[15]!, true);
        if (!more) return;
        limit -= rows.length;
        after = BigInt(rows[rows.length - 1]![14]);
      }
    } finally {
      recordStoreRead(this.storeId, start); // once per read, when it ends, fails or is abandoned
    }
  }

  /**
   * One page of the feed as an array (see {@link readFeedPage}): the subscription manager's read,
   * without a promise per event. Only a page of at most `pageSize` events, read in one query.
   */
  [readFeedPage](options: ReadAllOptions): FeedPage | undefined {
    this.#shared.gate.check();
    const range = feedRange(this.storeId, options);
    if (range.limit > this.#shared.pageSize) return undefined;
    const filter = feedFilter(this.registry, options, this.#tenantId);
    const events: StoredEvent[] = [];
    if (filter.none || range.limit === 0) return { events };
    const query = this.#feedQuery(filter);
    const rows = this.#readValues(query, { after: Number(range.after), limit: range.limit, tenant: filter.tenantId });
    try {
      for (const row of rows) events.push(this.#decode(row, row[15]!, true));
    } catch (error) {
      return { events, error };
    }
    return { events };
  }

  /** The compiled feed statement for a filter. */
  #feedQuery(filter: Extract<FeedFilter, { none: false }>): PackedQuery {
    const { db } = this.#shared;
    const key = `feed ${JSON.stringify([filter.eventTypes, filter.aggregateTypes, filter.tenantId !== undefined])}`;
    return this.#compiled(key, () =>
      packed(
        feedQuery(db, {
          filter,
          select: FEED_SELECT,
          orderBy: ['position'],
          after: (eb) => eb('position', '>', AFTER),
          limit: LIMIT,
          value: (column, value) => (column === 'tenant_id' ? TENANT : value),
          // A long list is one JSON parameter: SQLite limits both parameters and compound SELECTs.
          list: (eb, column, values) =>
            values.length <= FEED_BRANCHES_MAX
              ? eb(column, 'in', values)
              : eb(column, 'in', sql<string>`(select value from json_each(${JSON.stringify(values)}))`),
          // Branches merged lazily, each read only as far as the page takes it. With a limit of
          // their own, SQLite read every branch's page first: a 1,000-event page filtered by 12
          // event types cost 17-19 ms of CPU instead of 2.5-2.7, by 4 types 4.7-5.2 instead of 1.6.
          branchLimit: false,
        }).compile(),
        FEED_SELECT,
        'position',
      ),
    );
  }

  async currentPosition(): Promise<Position | null> {
    let query = this.#shared.db.selectFrom('eventsmith_events').select('position').orderBy('position', 'desc').limit(1);
    if (this.#tenantId !== undefined) query = query.where('tenant_id', '=', this.#tenantId);
    const [row] = this.#read<{ position: number }>(query.compile());
    return row ? Position.of(this.storeId, row.position) : null;
  }

  async eventExists(eventId: string): Promise<boolean> {
    checkIdText('event id', eventId);
    return this.#read(eventExistsQuery(this.#shared.db, eventId, this.#tenantId)).length > 0;
  }

  forTenant(tenantId: string): SqliteEventStore {
    checkIdText('tenant id', tenantId, true);
    if (sameTenantView('event store', this.#tenantId, tenantId)) return this;
    return new SqliteEventStore(this.#shared, tenantId);
  }

  /**
   * Closes both connections, once the appends and transactions already accepted (appends queued
   * for the writer included) have finished; later calls (appends, reads, the next page of an
   * iteration, transactions) fail with `EventStoreClosedError`. Views made with `forTenant` share
   * the connections and close with them.
   */
  async close(): Promise<void> {
    await this.#shared.close();
  }

  /**
   * Appends inside the open transaction, which holds the writer connection, so running on it
   * directly is safe. A savepoint keeps a failed append from leaving part of its batch behind.
   */
  #appendInTransaction(append: PreparedAppend): AppendResult {
    const { storeId, writer } = this.#shared;
    const attributes = {
      [SpanAttributes.store]: storeId,
      [SpanAttributes.stream]: append.streamId,
      [SpanAttributes.eventCount]: append.records.length,
    };
    return withSpanSync('eventsmith.store.append', attributes, () => {
      const connection = writer.connection;
      connection.run('savepoint eventsmith_append');
      try {
        const result = appendOnConnection(connection, storeId, append);
        connection.run('release eventsmith_append');
        return result;
      } catch (error) {
        connection.run('rollback to eventsmith_append');
        connection.run('release eventsmith_append');
        throw error;
      }
    });
  }

  /** A read (see {@link #readConnection}); refused once `close()` has begun (reads are synchronous: none is ever in flight then). */
  #read<R>(query: CompiledQuery): R[] {
    this.#shared.gate.check();
    try {
      return this.#readConnection().all<R>(query.sql, query.parameters);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  /**
   * The read statement of a shape (stream direction, feed filter), built and compiled with Kysely
   * once: compiling costs more than a short read. Values vary per read, so they are named
   * placeholders bound by {@link #readValues}; filter lists are part of the shape.
   */
  #compiled(key: string, compile: () => PackedQuery): PackedQuery {
    const cache = this.#shared.compiled;
    let query = cache.get(key);
    if (!query) {
      if (cache.size >= COMPILED_LIMIT) cache.clear();
      cache.set(key, (query = compile()));
    }
    return query;
  }

  /**
   * The connection a read runs on. Every commit on the writer empties the reader's page cache, so
   * a read there right after an append reads its pages back through the log, while the writer
   * still holds them. A read is synchronous: run on the writer while nothing holds it, nobody
   * waits for it (no group-commit batch queued) and it has no transaction open (not even one begun
   * by hand on `db`), it sees exactly the committed events, as the reader would. Otherwise (a
   * transaction, a batch, or a query streaming on `db`, whose open read snapshot would hide what
   * other connections commit meanwhile) it runs on the reader.
   */
  #readConnection(): SqliteStoreConnection {
    const { writer, reader } = this.#shared;
    return writer.free && !writer.connection.database.inTransaction ? writer.connection : reader;
  }

  /**
   * Runs a {@link packed} read: each row's text is parsed into its values, the payload among them.
   * If one does not parse into a row (a payload text that is not one JSON value, written behind
   * the store), the rows are read again through `split`, in the same synchronous call, as
   * {@link #readSplit} does.
   */
  #readValues<R extends EventRow = EventValues>(query: PackedQuery, named: Record<string, unknown>): R[] {
    this.#shared.gate.check(); // a page: the next one after close() has begun is refused
    const connection = this.#readConnection();
    const parameters = [...query.parameters, named];
    let texts: unknown[];
    try {
      texts = connection.firstValues(query.sql, parameters);
    } catch (error) {
      throw this.#failure(error);
    }
    const rows = texts as unknown as R[];
    for (let i = 0; i < texts.length; i++) {
      let row: R | null;
      try {
        row = JSON.parse(texts[i] as string) as R | null;
      } catch {
        row = null;
      }
      if (row === null || row.length !== query.width) return this.#readSplit(connection, query, parameters);
      rows[i] = row;
    }
    return rows;
  }

  /**
   * The rows of {@link #readValues} with each payload parsed apart from its row; one that does not
   * parse is kept as {@link UnparsedData}, for decoding to fail on where the read reaches it.
   */
  #readSplit<R extends EventRow>(connection: SqliteStoreConnection, query: PackedQuery, parameters: unknown[]): R[] {
    let rows: unknown[][];
    try {
      rows = connection.values(query.split, parameters);
    } catch (error) {
      throw this.#failure(error);
    }
    return rows.map(([values, data]) => {
      const row = JSON.parse(values as string) as R;
      row[12] = parsedData(data as string);
      return row;
    });
  }

  #decode(row: EventValues, streamId: string, feed: boolean): StoredEvent {
    const { registry, storeId } = this.#shared;
    const position = Position.of(storeId, row[14]);
    const storedAt = new Date(storedTimes.millis(row[13]));
    const event = decodeAtCurrentVersion(registry, row[2], row[3], row, payloadOf, envelopeOf);
    if (event !== undefined) return storedEvent(event, streamId, row[0], position, storedAt);
    const location = { streamId, streamVersion: row[0], position, storedAt };
    return storedEventFromRecord(registry, recordOf(row), location, feed, occurredTimes.millis(row[7]));
  }

  /** The event of a stream row, decoded as {@link #decode} decodes a stream read's, without its location. */
  #event(row: ReplayValues): DomainEvent {
    const { registry } = this.#shared;
    return (
      decodeAtCurrentVersion(registry, row[2], row[3], row, payloadOf, envelopeOf) ??
      decodeRecordAt(registry, recordOf(row), occurredTimes.millis(row[7]), true)
    );
  }

  /** The error to throw for a failed statement: a lock wait that timed out, a lost file, or `error` itself. */
  #failure(error: unknown): unknown {
    const { target, busyTimeout } = this.#shared;
    return busyOr(error, target, busyTimeout) ?? unavailableOr(error, target);
  }
}

/** A payload text that does not parse as JSON, as {@link SqliteEventStore.#readSplit} read it. */
class UnparsedData {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/** `data` parsed, or kept as {@link UnparsedData} when it does not parse. */
function parsedData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return new UnparsedData(data);
  }
}

/**
 * The payload of a row, for {@link decodeAtCurrentVersion}; the general path gets it too if that
 * fails, as PostgreSQL's rows hand on theirs: a payload the compiled check or zod refuses is left
 * as it was read. A payload that does not parse throws the `SyntaxError` of parsing it.
 */
function payloadOf(row: EventRow): unknown {
  const data = row[12];
  return data instanceof UnparsedData ? JSON.parse(data.text) : data;
}

/** The record of a row, for the registry's decoding (upcasts, errors). */
function recordOf(row: EventRow): EventRecord {
  return {
    eventId: row[1],
    eventType: row[2],
    eventVersion: row[3],
    aggregateId: row[5],
    aggregateType: row[4],
    aggregateVersion: row[0],
    occurredAt: row[7],
    tenantId: row[6],
    actorId: row[8],
    correlationId: row[9] ?? row[1],
    causationId: row[10],
    // Most events carry no metadata: a new empty object costs less than parsing one.
    metadata: row[11] === '{}' ? {} : (JSON.parse(row[11]) as EventRecord['metadata']),
    data: payloadOf(row) as EventRecord['data'],
  };
}

/** The envelope of a row, for {@link decodeAtCurrentVersion}. */
function envelopeOf(row: EventRow): EventInit {
  return {
    eventId: row[1],
    aggregateId: row[5],
    aggregateType: row[4],
    aggregateVersion: row[0],
    occurredAt: occurredTimes.immutableDate(row[7]),
    tenantId: row[6] ?? undefined,
    actorId: row[8] ?? undefined,
    correlationId: row[9] ?? row[1],
    causationId: row[10] ?? undefined,
    // Most events carry no metadata: absent gives them the shared empty object at once.
    metadata: row[11] === '{}' ? undefined : (JSON.parse(row[11]) as EventRecord['metadata']),
  };
}

/**
 * {@link EventStoreBusyError} when `error` is SQLite giving up on a lock after the busy timeout
 * (another connection or process was writing), otherwise undefined.
 */
function busyOr(error: unknown, target: string, busyTimeout: number): EventStoreBusyError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')))
    return undefined;
  return new EventStoreBusyError(target, busyTimeout, { cause: error });
}
