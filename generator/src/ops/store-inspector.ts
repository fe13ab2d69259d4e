import { stat } from 'node:fs/promises';
import {
  DeadLetterEntryNotFoundError,
  EventStoreUnavailableError,
  forgetSubscription,
  listPendingRebuilds,
  parseStreamId,
  Position,
  rebuildProjection,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  SqlLeaseLock,
  SubscriptionManager,
  type DeadLetterEntry,
  type DeadLetterStatus,
  type EventStore,
  type ForgottenSubscription,
  type Kysely,
  type RebuildReport,
  type StoredEvent,
  UndecodableEventError,
} from '@eventsmith/runtime';
import { stateHistory, type StateAtVersion } from './aggregate-history.js';
import { parseDatabaseUrl, redact, type DatabaseTarget } from './database-url.js';
import { countAfter, countBetween } from './feed-counts.js';
import { mapLimited } from './map-limited.js';
import { eventView, type EventLink, type EventView, type TimelineEvent } from './event-views.js';
import { driverNotInstalled, OpsFailure } from './ops-failure.js';
import type { ProjectCode } from './project-code.js';
import {
  correlatedEvents,
  eventBack,
  listStreams,
  listTenants,
  streamTenant,
  type StreamQuery,
  type StreamSummary,
} from './stream-queries.js';
import {
  countDeadLetters,
  listCheckpoints,
  listUnscopedDeadLetters,
  newestUnresolved,
  type ScopedCheckpoint,
} from './subscription-queries.js';

/** Where a subscription or projection has got to, read from the checkpoint table. */
export interface SubscriptionReport {
  readonly name: string;
  /**
   * The scope this row reports: a tenant's subscription (its own checkpoint, that tenant's events
   * and dead letters), or null for the unscoped store's (every event).
   */
  readonly tenantId: string | null;
  /** True for a projection of the project's generated code (its event types filter the lag). */
  readonly projection: boolean;
  readonly position: string | null;
  readonly updatedAt: string | null;
  /** Matching events after the checkpoint, counted up to `lagLimit`. */
  readonly lagEvents: number;
  readonly lagCapped: boolean;
  /** How long the oldest unprocessed event has been stored, in seconds; 0 when caught up. */
  readonly lagSeconds: number;
  readonly deadLetters: { readonly pending: number; readonly retrying: number; readonly resolved: number };
  /** The newest unresolved dead letter's error (subscriptions record their other errors in their own process). */
  readonly lastError: { readonly message: string; readonly at: string } | null;
  /**
   * Events per second the checkpoint moved over since this inspector's previous `subscriptions()`
   * call; null on the first call.
   */
  readonly throughput: number | null;
  /**
   * A projection migration emptied or reset the projection's table and it has not been rebuilt
   * since (`eventsmith projections rebuild`, or `eventsmith migrate`, clears it): the migration
   * and when it ran. Per projection, so the same in each of its rows. Null when none is due.
   */
  readonly needsRebuild: { readonly migration: string; readonly since: string } | null;
}

/** A dead-letter entry as plain JSON. */
export interface DeadLetterView extends Omit<
  DeadLetterEntry,
  'position' | 'storedAt' | 'firstFailedAt' | 'lastFailedAt' | 'resolvedAt'
> {
  readonly position: string;
  readonly storedAt: string;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly resolvedAt: string | null;
  /** True when the project's code has this subscription's handler (a generated projection), so it can be retried here. */
  readonly retryable: boolean;
}

export interface StoreInspectorOptions {
  /** `sqlite:app.db`, `app.db`, `postgres://…`, `mysql://…` / `mariadb://…`. */
  readonly url: string;
  /** Relative SQLite paths are resolved against it. */
  readonly cwd: string;
  readonly code: ProjectCode;
  /** Show and change only this tenant's data. */
  readonly tenantId?: string;
}

/** A stream that does not exist, or belongs to another tenant than the inspector's. */
export class StreamNotVisibleError extends Error {
  readonly code = 'OPS.STREAM_NOT_FOUND';
  constructor(readonly streamId: string) {
    super(`There is no stream "${streamId}".`);
  }
}

/** A retry that needs a handler the project's code does not have. */
export class NotRetryableError extends Error {
  readonly code = 'OPS.NOT_RETRYABLE';
  constructor(readonly subscription: string) {
    super(
      `"${subscription}" is not a projection of this project's generated code, so its handler is not here to re-deliver the event. Retry it in the app that runs it (manager.retryDeadLetter(id)), or resolve it.`,
    );
  }
}

/** What {@link StoreInspector.deadLetters} lists. */
export interface DeadLetterQuery {
  readonly subscription?: string;
  readonly status?: DeadLetterStatus;
  /**
   * A tenant's id: its events' entries; null: the entries counted in the unscoped store's rows of
   * `subscriptions()`. Absent: every entry the inspector sees.
   */
  readonly tenantId?: string | null;
  /** Default 200. */
  readonly limit?: number;
  /** Entries with an id after this one (ids grow), for paging. */
  readonly afterId?: string;
}

const LAG_LIMIT = 10_000;
/** Rows of `subscriptions()` whose lag and throughput are counted at once (each holds a connection). */
export const SUBSCRIPTION_ROWS_AT_ONCE = 4;

/**
 * Read (and, for dead letters, write) access to an event store for operators: streams, an
 * aggregate's timeline and its state at each version, the global feed, checkpoints with their lag,
 * and the dead-letter queue. `eventsmith studio` serves it; the CLI's operations commands use it
 * too. A tenant-scoped inspector (`tenantId`) reads and changes only that tenant's data, through
 * the runtime's tenant views.
 *
 * @example
 * ```ts
 * const inspector = await StoreInspector.open({ url: 'sqlite:app.db', cwd: process.cwd(), code: await loadProjectCode(config) });
 * const { streams } = await inspector.streams({ aggregateType: 'BankAccount' });
 * await inspector.close();
 * ```
 */
export class StoreInspector {
  readonly #root: EventStore & { readonly db: Kysely<any> };
  readonly #code: ProjectCode;
  readonly tenantId: string | undefined;
  readonly target: DatabaseTarget;
  /** Each subscription's checkpoint at the previous `subscriptions()` call, by scope, for its throughput. */
  readonly #previous = new Map<string, { position: Position | null; at: number }>();

  private constructor(
    root: EventStore & { readonly db: Kysely<any> },
    code: ProjectCode,
    target: DatabaseTarget,
    tenantId: string | undefined,
  ) {
    this.#root = root;
    this.#code = code;
    this.target = target;
    this.tenantId = tenantId;
  }

  /** Opens the store without migrating it (an operator's console changes no schema). */
  static async open(options: StoreInspectorOptions): Promise<StoreInspector> {
    const target = parseDatabaseUrl(options.url, options.cwd);
    const registry = options.code.registry;
    try {
      let store: EventStore & { readonly db: Kysely<any> };
      if (target.dialect === 'sqlite') {
        if (target.filename !== ':memory:' && !(await stat(target.filename).catch(() => undefined))?.isFile())
          throw new OpsFailure([
            {
              code: 'OPS.NO_DATABASE',
              message: `There is no SQLite database at ${target.filename}.`,
              fix: 'Check the path, or run `eventsmith migrate --db <url>` to create the store.',
            },
          ]);
        const { SqliteEventStore } = await import('@eventsmith/runtime/sqlite');
        store = await SqliteEventStore.open({ filename: target.filename, registry, migrate: false });
      } else if (target.dialect === 'postgres') {
        const { PostgresEventStore } = await import('@eventsmith/runtime/postgres');
        store = await PostgresEventStore.open({ url: target.url, registry, migrate: false });
      } else {
        const { MysqlEventStore } = await import('@eventsmith/runtime/mysql');
        store = await MysqlEventStore.open({ url: target.url, registry, migrate: false });
      }
      if (options.tenantId !== undefined) {
        try {
          store.forTenant(options.tenantId);
        } catch (error) {
          await store.close();
          throw new OpsFailure([
            {
              code: 'OPS.TENANT',
              message: `"${options.tenantId}" is not a tenant id: ${error instanceof Error ? error.message : String(error)}`,
              fix: 'Pass the tenant id your app stores with its events (withTenant / store.forTenant).',
            },
          ]);
        }
      }
      options.code.bind?.(store);
      return new StoreInspector(store, options.code, target, options.tenantId);
    } catch (error) {
      if (error instanceof OpsFailure) throw error;
      throw storeOpenFailure(error, target);
    }
  }

  /** The store, or its view of the inspector's tenant. */
  get store(): EventStore {
    return this.tenantId === undefined ? this.#root : this.#root.forTenant(this.tenantId);
  }

  /** The aggregate types of the project's code, sorted. */
  get aggregateTypes(): string[] {
    return [...this.#code.aggregates.keys()].sort();
  }

  async streams(query: StreamQuery): Promise<{ streams: StreamSummary[]; more: boolean }> {
    return listStreams(this.#root.db, this.tenantId === undefined ? query : { ...query, tenantId: this.tenantId });
  }

  /** The tenants that own streams; only its own for a tenant-scoped inspector. */
  async tenants(): Promise<string[]> {
    return this.tenantId === undefined ? listTenants(this.#root.db) : [this.tenantId];
  }

  /**
   * The events of a stream (all, or versions `from`..`to`), oldest first, each with its cause and
   * the events it caused.
   */
  async timeline(streamId: string, range: { from?: number; to?: number } = {}): Promise<TimelineEvent[]> {
    const events = (await this.#read(streamId, range)).map(eventView);
    const chain = await correlatedEvents(
      this.#root.db,
      events.map((e) => e.correlationId),
      this.tenantId,
    );
    const byId = new Map(chain.map((link) => [link.eventId, link]));
    return events.map((event) => ({
      ...event,
      cause: event.causationId === null ? null : (strip(byId.get(event.causationId)) ?? null),
      caused: chain.filter((link) => link.causationId === event.eventId).map((link) => strip(link)!),
    }));
  }

  /**
   * The aggregate's state after each version up to `upTo`, rebuilt with the project's aggregate
   * class, each with a diff from the version before.
   */
  async history(streamId: string, upTo?: number): Promise<StateAtVersion[]> {
    const { aggregateType, aggregateId } = parseStreamId(streamId);
    const cls = this.#code.aggregates.get(aggregateType);
    if (!cls)
      throw new OpsFailure([
        {
          code: 'OPS.NO_AGGREGATE_CLASS',
          message: `The project's code has no aggregate class for ${aggregateType}.`,
          fix: `Check that ${aggregateType} is declared in the domain YAML and its class is in the userDir's aggregates/ folder.`,
        },
      ]);
    return stateHistory(
      cls,
      aggregateId,
      (await this.#read(streamId, upTo === undefined ? {} : { to: upTo })).map((s) => s.event),
      upTo,
    );
  }

  /**
   * The aggregate's state after `version` (0: before the first event; past the end: the current
   * state), with its diff from the version before.
   */
  async stateAt(streamId: string, version: number): Promise<StateAtVersion> {
    return (await this.history(streamId, version)).at(-1)!;
  }

  /** Up to `limit` events of the global feed after `after` (a position token; absent: from the start). */
  async feed(after: string | null, limit = 100): Promise<EventView[]> {
    const events: EventView[] = [];
    for await (const stored of this.store.readAll({ after: after === null ? null : Position.parse(after), limit }))
      events.push(eventView(stored));
    return events;
  }

  /**
   * The last `limit` events of the feed, oldest first, and the head they end at (null for an empty
   * store): what `eventsmith events tail` prints before it follows the feed from the head.
   *
   * Positions are opaque (PostgreSQL's pack a transaction id with a position), so this does not
   * count back from the head. It asks the events table, through the feed index, for the event
   * `limit` back, takes that event's position from the store, reads the feed after it up to the
   * head and keeps the last `limit`. Where that gives fewer (a transaction that committed late, or
   * the event above what readers can see yet), it goes four times as far back, up to the start.
   */
  async tail(limit: number): Promise<{ events: EventView[]; head: string | null }> {
    const head = await this.store.currentPosition();
    if (head === null) return { events: [], head: null };
    for (let back = limit; ; back *= 4) {
      const after = await this.#positionBack(back);
      const events = await this.#lastUpTo(after, head, limit);
      if (events.length >= limit || after === null) return { events: events.map(eventView), head: head.toString() };
    }
  }

  /** The position of the event `offset` back from the newest, as the store hands it out; null when there are not that many. */
  async #positionBack(offset: number): Promise<Position | null> {
    const event = await eventBack(this.#root.db, this.target.dialect, offset, this.tenantId);
    if (event === undefined) return null;
    try {
      for await (const stored of this.store.readStream(event.streamId, { from: event.version, to: event.version }))
        return stored.position;
    } catch (error) {
      if (error instanceof UndecodableEventError) return error.position;
      throw error;
    }
    return null;
  }

  /** The last `limit` events of the feed after `after`, up to and including `head`; holds at most two pages. */
  async #lastUpTo(after: Position | null, head: Position, limit: number): Promise<StoredEvent[]> {
    const PAGE = 1000;
    let kept: StoredEvent[] = [];
    for (let from = after; ;) {
      const page: StoredEvent[] = [];
      for await (const stored of this.store.readAll({ after: from, limit: PAGE })) page.push(stored);
      for (const stored of page) {
        if (stored.position.isAfter(head)) return kept.slice(-limit);
        kept.push(stored);
      }
      if (kept.length > limit + PAGE) kept = kept.slice(-limit);
      if (page.length < PAGE) return kept.slice(-limit);
      from = page.at(-1)!.position;
    }
  }

  /** The position of the last event, as a token, or null for an empty store. */
  async head(): Promise<string | null> {
    return (await this.store.currentPosition())?.toString() ?? null;
  }

  /**
   * One row per subscription and scope: each checkpoint (the unscoped store's and each tenant's;
   * only the inspector's tenant's when it has one), and each projection of the project that has
   * none (not started). A row's position, lag, throughput and dead letters are its scope's: a
   * tenant's row counts that tenant's events and dead letters; the unscoped row reads every event.
   * A dead letter counts in the row of its event's tenant when the subscription has a checkpoint
   * of that tenant; otherwise in its unscoped row, if it has one, or else in a row of the tenant
   * without a checkpoint. So every dead letter is counted once.
   */
  async subscriptions(): Promise<SubscriptionReport[]> {
    const db = this.#root.db;
    const scopes = new Map<string, Scope>();
    const scope = (name: string, tenantId: string | null, checkpoint?: ScopedCheckpoint): Scope => {
      const key = scopeKey(name, tenantId);
      let found = scopes.get(key);
      if (!found) {
        found = { name, tenantId, checkpoint, pending: 0, retrying: 0, resolved: 0, deadLetterTenants: [] };
        scopes.set(key, found);
      }
      return found;
    };
    const checkpoints = await listCheckpoints(db, this.tenantId);
    for (const checkpoint of checkpoints) scope(checkpoint.name, checkpoint.tenantId, checkpoint);
    for (const count of await countDeadLetters(db, this.tenantId)) {
      const row = scope(count.subscription, count.unscoped ? null : count.tenantId);
      row.pending += count.pending;
      row.retrying += count.retrying;
      row.resolved += count.resolved;
      row.deadLetterTenants.push(count.tenantId);
    }
    const marks = new Map((await listPendingRebuilds(db)).map((p) => [p.projection, p]));
    const named = new Set([...scopes.values()].map((s) => s.name));
    for (const name of [...this.#code.projections.keys(), ...marks.keys()])
      if (!named.has(name)) {
        named.add(name);
        scope(name, this.tenantId ?? null);
      }
    const rows = [...scopes.values()].sort(
      (a, b) =>
        compare(a.name, b.name) ||
        (a.tenantId === b.tenantId
          ? 0
          : a.tenantId === null
            ? -1
            : b.tenantId === null
              ? 1
              : compare(a.tenantId, b.tenantId)),
    );
    // A few rows at a time: a store of thousands of tenants would otherwise queue thousands of
    // queries on the pool at once, ahead of everyone else's.
    return mapLimited(rows, SUBSCRIPTION_ROWS_AT_ONCE, async (row) => {
      const { name, tenantId, checkpoint } = row;
      const store = tenantId === null ? this.#root : this.#root.forTenant(tenantId);
      const projection = this.#code.projections.get(name);
      const eventTypes = projection?.eventTypes ?? this.#code.reactions?.get(name);
      const position = checkpoint?.position ?? null;
      const lag = await countAfter(store, position, eventTypes, LAG_LIMIT);
      const throughput = await this.#throughput(store, scopeKey(name, tenantId), position, eventTypes);
      const newest =
        row.pending + row.retrying > 0 ? await newestUnresolved(db, name, row.deadLetterTenants) : undefined;
      return {
        name,
        tenantId,
        projection: projection !== undefined,
        position: position?.toString() ?? null,
        updatedAt: checkpoint?.updatedAt.toISOString() ?? null,
        lagEvents: lag.events,
        lagCapped: lag.capped,
        lagSeconds: lag.oldest ? Math.max(0, (Date.now() - lag.oldest.getTime()) / 1000) : 0,
        deadLetters: { pending: row.pending, retrying: row.retrying, resolved: row.resolved },
        lastError: newest ? { message: newest.message, at: newest.at.toISOString() } : null,
        throughput,
        needsRebuild: marks.has(name)
          ? { migration: marks.get(name)!.migration, since: new Date(marks.get(name)!.markedAt).toISOString() }
          : null,
      };
    });
  }

  /**
   * Dead letters, oldest first (the first 200 unless `limit`). `tenantId` a tenant's id: the
   * entries of that tenant's events, all counted in its rows of {@link subscriptions} where it has
   * one; null: the entries counted in the unscoped store's rows (of events without a tenant, and
   * of tenants' events a subscription has no checkpoint of that tenant for but an unscoped one).
   * So `deadLetters({ subscription: row.name, tenantId: row.tenantId })` lists what a row counts.
   */
  async deadLetters(filter: DeadLetterQuery = {}): Promise<DeadLetterView[]> {
    const limit = filter.limit ?? 200;
    const query = {
      ...(filter.subscription ? { subscription: filter.subscription } : {}),
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.afterId !== undefined ? { afterId: filter.afterId } : {}),
    };
    let entries: DeadLetterEntry[];
    if (filter.tenantId === undefined) entries = await this.#deadLetters().list({ ...query, limit });
    // A tenant-scoped inspector's rows are all its tenant's: no other tenant's, none unscoped.
    else if (this.tenantId !== undefined && filter.tenantId !== this.tenantId) entries = [];
    else if (filter.tenantId !== null)
      entries = await new SqlDeadLetterQueue(this.#root.db).forTenant(filter.tenantId).list({ ...query, limit });
    else entries = await listUnscopedDeadLetters(this.#root.db, { ...query, limit });
    return entries.map((e) => this.#deadLetterView(e));
  }

  async deadLetter(id: string): Promise<DeadLetterView> {
    const entry = await this.#deadLetters().get(id);
    if (!entry) throw new DeadLetterEntryNotFoundError(id);
    return this.#deadLetterView(entry);
  }

  /**
   * Re-delivers a dead-lettered event through its projection's handler (from the project's code):
   * resolved on success, back to pending with the attempt counted on failure.
   */
  async retryDeadLetter(id: string, by = 'eventsmith'): Promise<'resolved' | 'failed' | 'skipped'> {
    const entry = await this.deadLetter(id);
    const projection = this.#code.projections.get(entry.subscription);
    if (!projection) throw new NotRetryableError(entry.subscription);
    const manager = new SubscriptionManager({
      store: this.store,
      checkpoints: new SqlCheckpointStore(this.#root.db),
      deadLetters: new SqlDeadLetterQueue(this.#root.db),
    });
    manager.project(projection);
    return manager.retryDeadLetter(id, { by });
  }

  /** Marks an entry resolved without re-delivering it. */
  async resolveDeadLetter(id: string, by = 'eventsmith'): Promise<void> {
    await this.#deadLetters().resolve(id, { by });
  }

  /**
   * The event types a projection of the project's code reads. Throws `OPS.UNKNOWN_PROJECTION` (an
   * {@link OpsFailure}) for a name the project's code has no projection of.
   */
  eventTypesOf(projection: string): readonly string[] | undefined {
    return this.#projection(projection).eventTypes;
  }

  /** The projections of the project's generated code, sorted by name. */
  get projectionNames(): string[] {
    return [...this.#code.projections.keys()].sort();
  }

  /**
   * Stored events of the given types (all when absent), in the inspector's tenant: what a rebuild
   * will replay, for its progress. Counted in SQL, without decoding.
   */
  async countEvents(eventTypes?: readonly string[]): Promise<number> {
    let query = this.#root.db.selectFrom('eventsmith_events').select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (eventTypes) query = query.where('event_type', 'in', [...eventTypes]);
    if (this.tenantId !== undefined) query = query.where('tenant_id', '=', this.tenantId);
    const row = await query.executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Rebuilds a projection of the project's code blue/green (see the runtime's `rebuildProjection`):
   * replays its events into shadow tables and swaps them in. The first event its handlers fail on
   * stops it with the live tables untouched (`ProjectionRebuildError`), unless `skipFailures`. The projection's SQL lease is held
   * meanwhile; while an app runs the projection (it holds the lease), the rebuild is refused with
   * `ProjectionRebuildBusyError`.
   */
  async rebuildProjection(
    name: string,
    onProgress?: (replayed: number) => void,
    options: { readonly skipFailures?: boolean } = {},
  ): Promise<RebuildReport> {
    const projection = this.#projection(name);
    const lock = new SqlLeaseLock(this.#root.db);
    return rebuildProjection({
      store: this.#root,
      projection,
      db: this.#root.db,
      checkpoints: this.#checkpoints(),
      deadLetters: this.#deadLetters(),
      lock: this.tenantId === undefined ? lock : lock.forTenant(this.tenantId),
      ...(this.tenantId !== undefined ? { tenantId: this.tenantId } : {}),
      ...(onProgress ? { onProgress } : {}),
      // A poison event stops the rebuild and leaves the live tables as they were, unless the
      // operator asked to skip such events (then the new tables miss what they would have written).
      strict: options.skipFailures !== true,
    });
  }

  /**
   * Removes what the subscription tables keep of `name`, a subscription the project's code no
   * longer has: its checkpoints (every scope; the inspector's tenant's only when it has one), its
   * leases that ran out, its dead letters and its mark of needing a rebuild (the runtime's
   * `forgetSubscription`). Throws `OPS.STILL_DEFINED` (an {@link OpsFailure}) for a projection or
   * reaction of the project's code, which would replay from the start, and the runtime's
   * `SubscriptionInUseError` while a process holds its lease.
   */
  async forgetSubscription(name: string): Promise<ForgottenSubscription> {
    const kind = this.#code.projections.has(name)
      ? 'projection'
      : this.#code.reactions?.has(name)
        ? 'reaction'
        : undefined;
    if (kind)
      throw new OpsFailure([
        {
          code: 'OPS.STILL_DEFINED',
          message: `"${name}" is still a ${kind} of this project: forgetting its checkpoints would make it handle every event again, from the start, the next time an app runs it.`,
          fix:
            kind === 'projection'
              ? `To refill its tables, run \`eventsmith projections rebuild ${name} --db <url>\`. Forget a name only after removing or renaming it in the domain YAML and running \`eventsmith generate\`.`
              : 'Forget a name only after removing or renaming it in the domain YAML and running `eventsmith generate`.',
        },
      ]);
    return forgetSubscription(this.#root.db, name, this.tenantId === undefined ? {} : { tenantId: this.tenantId });
  }

  #projection(name: string) {
    const projection = this.#code.projections.get(name);
    if (!projection)
      throw new OpsFailure([
        {
          code: 'OPS.UNKNOWN_PROJECTION',
          message: `There is no projection "${name}" in this project's generated code.`,
          fix: this.#code.projections.size
            ? `Projections: ${this.projectionNames.join(', ')}.`
            : 'Declare projections in the domain YAML and run `eventsmith generate`.',
        },
      ]);
    return projection;
  }

  async close(): Promise<void> {
    await this.#root.close();
  }

  /** The stream's current version; throws {@link StreamNotVisibleError} as the timeline does. */
  async streamVersion(streamId: string): Promise<number> {
    await this.#visible(streamId);
    return this.store.getStreamVersion(streamId);
  }

  async #read(streamId: string, range: { from?: number; to?: number }): Promise<StoredEvent[]> {
    await this.#visible(streamId);
    const events: StoredEvent[] = [];
    for await (const stored of this.store.readStream(streamId, range)) events.push(stored);
    return events;
  }

  /** The stream table says whose a stream is: another tenant's stream is as absent as a missing one. */
  async #visible(streamId: string): Promise<void> {
    const owner = await streamTenant(this.#root.db, streamId);
    if (owner === undefined || (this.tenantId !== undefined && owner !== this.tenantId))
      throw new StreamNotVisibleError(streamId);
  }

  #checkpoints(): SqlCheckpointStore {
    const store = new SqlCheckpointStore(this.#root.db);
    return this.tenantId === undefined ? store : store.forTenant(this.tenantId);
  }

  #deadLetters(): SqlDeadLetterQueue {
    const queue = new SqlDeadLetterQueue(this.#root.db);
    return this.tenantId === undefined ? queue : queue.forTenant(this.tenantId);
  }

  /** Events the checkpoint moved over since the previous call, per second (counted up to the lag limit). */
  async #throughput(
    store: EventStore,
    key: string,
    position: Position | null,
    eventTypes: readonly string[] | undefined,
  ): Promise<number | null> {
    const now = Date.now();
    const previous = this.#previous.get(key);
    this.#previous.set(key, { position, at: now });
    if (!previous) return null;
    if (position === null || (previous.position !== null && !position.isAfter(previous.position))) return 0;
    const moved = await countBetween(store, previous.position, position, eventTypes, LAG_LIMIT);
    if (moved === null) return null; // an undecodable event: the lag column says so
    return moved / (Math.max(now - previous.at, 1) / 1000);
  }

  #deadLetterView(entry: DeadLetterEntry): DeadLetterView {
    return {
      ...entry,
      position: entry.position.toString(),
      storedAt: entry.storedAt.toISOString(),
      firstFailedAt: entry.firstFailedAt.toISOString(),
      lastFailedAt: entry.lastFailedAt.toISOString(),
      resolvedAt: entry.resolvedAt?.toISOString() ?? null,
      retryable: this.#code.projections.has(entry.subscription),
    };
  }
}

/**
 * The fix line of a store that did not open: what its typed reason calls for, where the store
 * says (`EventStoreUnavailableError.reason`); else the general advice.
 */
/** Why a store for an operations command did not open: a missing driver, or `OPS.CONNECT` with the fix for its reason. */
export function storeOpenFailure(error: unknown, target: { readonly dialect: string }): OpsFailure {
  const driver = driverNotInstalled(error);
  if (driver) return new OpsFailure([driver]);
  return new OpsFailure([
    {
      code: 'OPS.CONNECT',
      message: `Cannot open the ${target.dialect} event store: ${redact(error instanceof Error ? error.message : String(error))}.`,
      fix: openFailureFix(error),
    },
  ]);
}

export function openFailureFix(error: unknown): string {
  const reason = error instanceof EventStoreUnavailableError ? error.reason : undefined;
  switch (reason) {
    case 'not-migrated':
      return 'Run `eventsmith migrate --db <url>` against this database first: the operations commands and the studio open the store without migrating it.';
    case 'authentication':
      return 'Check the user name and password in the URL (or in EVENTSMITH_DB).';
    case 'missing-database':
      return 'Create the database, or fix its name in the URL.';
    case 'permission':
      return 'Connect as a user that may read the eventsmith tables (or, for SQLite, a process that may read the file and its folder).';
    case 'ssl':
      return 'Remove sslmode from the URL if the server does not accept SSL, or enable SSL on the server.';
    default:
      return 'Check that the database is running and the URL is right.';
  }
}

/** A subscription in one scope, as `subscriptions()` gathers it. */
interface Scope {
  readonly name: string;
  readonly tenantId: string | null;
  readonly checkpoint: ScopedCheckpoint | undefined;
  pending: number;
  retrying: number;
  resolved: number;
  /** The tenants (null: none) of the dead letters counted in this row. */
  readonly deadLetterTenants: (string | null)[];
}

function scopeKey(name: string, tenantId: string | null): string {
  return JSON.stringify([name, tenantId]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function strip(link: (EventLink & { causationId?: string | null }) | undefined): EventLink | undefined {
  if (!link) return undefined;
  return { eventId: link.eventId, eventType: link.eventType, streamId: link.streamId, version: link.version };
}
