import type { Kysely } from 'kysely';
import type { AggregateRepository } from '../aggregates/aggregate-repository.js';
import type { AggregateRoot } from '../aggregates/aggregate-root.js';
import { handlerTable } from '../aggregates/handles.js';
import type { EventPublisher } from '../bus/event-bus.js';
import { InMemoryOutboxStore } from '../outbox/in-memory-outbox-store.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import type { OutboxStore } from '../outbox/outbox-store.js';
import { SqlOutboxStore } from '../outbox/sql-outbox-store.js';
import type { Projection } from '../projections/projection.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';
import { withAppendHooks } from '../subscriptions/append-hooks.js';
import { listPendingRebuilds } from '../subscriptions/sql/pending-rebuilds.js';
import { SqlCheckpointStore } from '../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../subscriptions/sql/sql-dead-letter-queue.js';
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { SqlLeaseLock } from '../subscriptions/sql/sql-lease-lock.js';
import type { SubscriptionLock } from '../subscriptions/subscription-lock.js';
import type { SubscriptionErrorInfo } from '../subscriptions/subscription-options.js';
import { WakeUpSignal, type WakeUpSource } from '../subscriptions/wake-up.js';
import type {
  AggregateClassFor,
  AggregateSpecs,
  AppCommands,
  AppDefinition,
  AppDependencies,
  DispatchOptions,
} from './app-definition.js';
import { AppConfigError } from './app-errors.js';
import { CommandDispatcher } from './command-dispatcher.js';
import {
  describeMigrationsAhead,
  migrateApp,
  rebuildNamedProjections,
  refuseLossyMigrationsWhileRunning,
  sqlDatabaseOf,
  type MigrationReport,
} from './migrate-app.js';
import { reactionHandler } from './reactions.js';
import { snapshotProblemLog } from './snapshot-problem-log.js';
import { waitForProjections, type WaitForProjectionsOptions } from './wait-for-projections.js';

/** Where the app reports what it does not throw: subscription errors, relay failures. */
export interface AppLogger {
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/** The aggregate classes an app is given, by aggregate key. */
export type AggregateClasses<Aggs extends AggregateSpecs> = { readonly [K in keyof Aggs]: AggregateClassFor<Aggs[K]> };

export interface AppOptions<
  Aggs extends AggregateSpecs,
  Classes extends AggregateClasses<Aggs> = AggregateClasses<Aggs>,
> {
  readonly store: EventStore;
  /** Your aggregate classes, by the app's aggregate keys: `{ bankAccount: BankAccount }`. */
  readonly aggregates: Classes;
  /**
   * The database of the projection tables, checkpoints and dead letters. Default: the SQL store's
   * own (needed with an in-memory store when the domain has projections, e.g. in-memory SQLite).
   */
  readonly database?: Kysely<any> | undefined;
  /** Publish every appended event to this bus, through a transactional outbox and a relay. */
  readonly bus?: EventPublisher | undefined;
  /** Bind the app to one tenant: it reads and writes `store.forTenant(tenant)`. */
  readonly tenant?: string | undefined;
  /** Default `() => new Date()`; handed to projection factories and reactions. */
  readonly clock?: (() => Date) | undefined;
  /** Default: `console`. */
  readonly logger?: AppLogger | undefined;
  /** Anything projection factories and reactions need (a mailer, a pricing client…). */
  readonly services?: Readonly<Record<string, unknown>> | undefined;
  /** Snapshots for aggregates whose YAML sets `snapshot.every`. Default: none. */
  readonly snapshots?: SnapshotStore | undefined;
  /**
   * More wake-up sources, e.g. `PostgresNotifyWakeUp` to hear other processes' appends. Appends
   * through this app wake its subscriptions without one.
   */
  readonly wakeUps?: readonly WakeUpSource[] | undefined;
  /** Create or upgrade the tables at start (`migrateApp`). Default true. */
  readonly migrate?: boolean | undefined;
  /**
   * Rebuild, before the subscriptions start, each projection of the app that a projection
   * migration emptied or reset and that has not been rebuilt since (`migrations.pending`: the
   * database keeps the mark until a rebuild completes, whichever start or command applied the
   * migration), with `app.manager.rebuild`; the reports are in `app.migrations.rebuilt`. A rebuild
   * that fails stops the start with `ProjectionRebuildAfterMigrationError` (the migrations stay
   * applied, the mark stays: the next start with `rebuild: true` tries again). Not with `tenant`:
   * a rebuild replaces the whole table. A start whose migrations would empty the table of a
   * projection another process runs (a replica of the previous version holds its lease) is
   * refused before anything is applied (`ProjectionRunningError`): stop the old replicas first
   * (deploy by recreating, not rolling), or start without `rebuild` and rebuild later. A start
   * that finds another start rebuilding waits for it.
   *
   * Default false: the app logs a warning naming each such projection, at every start until it is
   * rebuilt, and rebuilding is yours
   * (`eventsmith migrate` in a deploy step rebuilds them), because a rebuild replays every event
   * of the projection before the app starts.
   */
  readonly rebuild?: boolean | undefined;
  /** Start the subscriptions and the relay at once. Default true; otherwise call `app.start()`. */
  readonly start?: boolean | undefined;
  /** Retries of a command after a `ConcurrencyError`. Default 5 attempts, 10 ms doubling, jittered. */
  readonly commandRetry?: Partial<RetryPolicy> | undefined;
  readonly subscriptions?:
    | {
        /** Longest wait between two reads of the feed (a lost wake-up). Default 1000 ms. */
        readonly pollIntervalMs?: number | undefined;
        /** Retries of a failing projection or reaction before it is dead-lettered. Default 5 attempts. */
        readonly retry?: Partial<RetryPolicy> | undefined;
        /** How long `close()` waits for handlers in flight. Default 30 s. */
        readonly stopTimeoutMs?: number | undefined;
        /**
         * Keeps two processes of the app from running one projection or reaction: one runs it, the
         * others stand by and take over within the lease's time if it dies. Default: a
         * `SqlLeaseLock` on the app's database (15 s leases), or a lock local to this process when
         * there is no database. `PostgresAdvisoryLock` is freed as soon as its holder's connection drops.
         */
        readonly lock?: SubscriptionLock | undefined;
      }
    | undefined;
}

/** A running app: one dispatcher object per aggregate, plus the wiring. */
export type App<
  Aggs extends AggregateSpecs,
  Classes extends AggregateClasses<Aggs> = AggregateClasses<Aggs>,
> = AppCommands<Aggs> & AppControls<Aggs, Classes>;

export interface AppControls<
  Aggs extends AggregateSpecs,
  Classes extends AggregateClasses<Aggs> = AggregateClasses<Aggs>,
> {
  /** The store the app writes through (the tenant's view when it has one). */
  readonly store: EventStore;
  /** The database of the projection tables (read models), when there is one. */
  readonly database: Kysely<any> | undefined;
  /** Runs every projection and reaction; use it for statuses, dead letters and rebuilds. */
  readonly manager: SubscriptionManager;
  /** What the start-up migration did (empty with `migrate: false`). */
  readonly migrations: MigrationReport;
  /** The repository of an aggregate, to load and inspect it. */
  repository<K extends keyof Aggs>(
    aggregate: K,
    options?: { tenantId?: string },
  ): AggregateRepository<InstanceType<Classes[K]>>;
  /**
   * Resolves once every projection has applied the events up to `position` (default: everything
   * stored so far), for read-your-writes. Throws `ProjectionDeadLetteredError` when a projection
   * passed `position` but dead-lettered an event up to it that is still unresolved (its read model
   * lacks that event: retry or resolve the entry, or pass `deadLetters: 'ignore'`), and
   * `ProjectionWaitTimeoutError` after `timeout`.
   */
  waitForProjections(options?: WaitForProjectionsOptions): Promise<void>;
  /** Starts the subscriptions and the relay (done by `createApp` unless `start: false`). */
  start(): Promise<void>;
  /**
   * Graceful shutdown: stops the subscriptions (handlers in flight finish and checkpoint), the
   * wake-up sources and the relay. It does not close the store, database or bus you passed in.
   */
  close(): Promise<void>;
}

/**
 * Wires a domain's app in one call: migrates the tables, builds the repositories, runs every
 * projection and reaction under a subscription manager (and the outbox relay with a bus), and
 * offers typed commands. The generator emits `create<Domain>App`, which calls this.
 *
 * @example
 * ```ts
 * const app = await createApp(bankApp, { store, aggregates: { bankAccount: BankAccount } });
 * const { position } = await app.bankAccount.deposit('acc-1', { amount: '25.00' });
 * await app.waitForProjections({ position });
 * await app.close();
 * ```
 */
export async function createApp<Aggs extends AggregateSpecs, Classes extends AggregateClasses<Aggs>>(
  definition: AppDefinition<Aggs>,
  options: AppOptions<Aggs, Classes>,
): Promise<App<Aggs, Classes>> {
  const logger = options.logger ?? console;
  const clock = options.clock ?? (() => new Date());
  const services = options.services ?? {};
  const base = options.tenant === undefined ? options.store : options.store.forTenant(options.tenant);
  const storeDb = sqlDatabaseOf(options.store);
  const database = options.database ?? storeDb;
  const projectionsDefined =
    definition.projections !== undefined || Object.keys(definition.projectionMigrations ?? {}).length > 0;
  if (projectionsDefined && !database) {
    throw new AppConfigError(
      `The ${definition.domain} domain has projections, but the store has no SQL database for their tables. ` +
        'Pass { database } (a Kysely instance, e.g. on an in-memory SQLite database), or use a SQL store.',
    );
  }
  checkRegistryKnowsEvents(definition, options);
  if (options.rebuild && options.tenant !== undefined)
    throw new AppConfigError(
      `rebuild: true cannot be used in an app bound to tenant ${options.tenant}: a rebuild replaces the whole table with this tenant's rows only. ` +
        'Rebuild from an app without a tenant, or with `eventsmith migrate` (it rebuilds what its migrations emptied).',
    );
  // Before anything is applied: a migration that would empty the table of a projection an older
  // replica still runs (it holds the lease) is refused, since the rebuild after it would be too.
  // This app's own manager has not started: any lease held is another process's.
  if (options.rebuild && options.migrate !== false && database)
    await refuseLossyMigrationsWhileRunning(database, [definition]);
  let migrations: MigrationReport =
    options.migrate === false
      ? await pendingOnly(database)
      : await migrateApp({ store: options.store, database, domains: [definition] });
  // A newer version migrated the database (a rolling deploy, a rollback): this one starts on it.
  for (const step of migrations.steps) {
    const ahead = describeMigrationsAhead(step);
    if (ahead)
      logger.warn(`eventsmith: ${ahead}`, {
        tables: step.tables,
        ...(step.domain !== undefined ? { domain: step.domain } : {}),
        ...step.ahead,
      });
  }

  // Appends through the app wake its subscriptions and relay at once instead of at the next poll.
  const signal = new WakeUpSignal();
  let relay: OutboxRelay | undefined;
  const store = withAppendHooks(base, {
    afterCommit: () => {
      signal.notify();
      relay?.notify();
    },
  });
  let outbox: OutboxStore | undefined;
  if (options.bus) {
    outbox = storeDb ? new SqlOutboxStore(storeDb) : new InMemoryOutboxStore();
    relay = new OutboxRelay(outbox, options.bus, {
      onError: (error, rows) => logger.error(`eventsmith: publishing ${rows} outbox rows failed`, { error }),
    });
  }

  const dispatchers = new Map<string, CommandDispatcher>();
  const onSnapshotProblem = snapshotProblemLog(logger);
  for (const [key, spec] of Object.entries(definition.aggregates)) {
    const cls = (options.aggregates as Record<string, AggregateClassFor<typeof spec> | undefined>)[key];
    if (!cls) throw new AppConfigError(`Pass the class of ${spec.aggregateType} as aggregates.${key}.`);
    const snapshots =
      options.snapshots && spec.snapshotPolicy ? { store: options.snapshots, policy: spec.snapshotPolicy } : undefined;
    dispatchers.set(
      key,
      new CommandDispatcher(spec, cls, store, {
        repository: {
          ...(snapshots ? { snapshots } : {}),
          ...(outbox ? { outbox } : {}),
          onSnapshotProblem,
        },
        retry: options.commandRetry,
      }),
    );
  }
  const commands = (stamp: (given: DispatchOptions | undefined) => DispatchOptions): AppCommands<Aggs> => {
    const result: Record<string, Record<string, unknown>> = {};
    for (const [key, dispatcher] of dispatchers) {
      const spec = definition.aggregates[key]!;
      result[key] = Object.fromEntries(
        Object.keys(spec.commands).map((command) => [
          command,
          (id: string, input?: unknown, given?: DispatchOptions) =>
            dispatcher.dispatch(command, id, input, stamp(given)),
        ]),
      );
    }
    return result as AppCommands<Aggs>;
  };

  const manager = new SubscriptionManager({
    store,
    ...(database
      ? { checkpoints: new SqlCheckpointStore(database), deadLetters: new SqlDeadLetterQueue(database) }
      : {}),
    // Several processes of one app (replicas, a rolling deploy) share the work through the
    // subscriptions' leases: each projection and reaction runs in one of them at a time.
    ...(options.subscriptions?.lock
      ? { lock: options.subscriptions.lock }
      : database
        ? { lock: new SqlLeaseLock(database) }
        : {}),
    wakeUps: [signal, ...(options.wakeUps ?? [])],
    ...(options.subscriptions?.pollIntervalMs !== undefined
      ? { pollIntervalMs: options.subscriptions.pollIntervalMs }
      : {}),
    ...(options.subscriptions?.stopTimeoutMs !== undefined
      ? { stopTimeoutMs: options.subscriptions.stopTimeoutMs }
      : {}),
    onError: (subscription: string, error: SubscriptionErrorInfo) =>
      logger.warn(
        // A newer-version warning names its subscription itself.
        error.kind === 'newer-version'
          ? `eventsmith: subscription ${error.message}`
          : `eventsmith: subscription ${subscription}: ${error.message}`,
        { ...error },
      ),
  });
  const retry = options.subscriptions?.retry;
  const projections: readonly Projection<any>[] =
    definition.projections?.({ db: database!, store, clock, services } satisfies AppDependencies) ?? [];
  for (const projection of projections) {
    manager.project(projection, {
      ...(options.database ? { db: options.database } : {}),
      ...(retry ? { retry } : {}),
    });
  }
  for (const reaction of definition.reactions ?? []) {
    manager.subscribe(reactionHandler(reaction, commands, { clock, services }), {
      name: reaction.name,
      eventTypes: reaction.eventTypes,
      ...(reaction.aggregateTypes ? { aggregateTypes: reaction.aggregateTypes } : {}),
      ...(reaction.retry || retry ? { retry: { ...retry, ...reaction.retry } } : {}),
    });
  }

  const watched = (given: WaitForProjectionsOptions) => {
    const only = given.projections;
    if (only) {
      const unknown = only.filter((name) => !projections.some((p) => p.name === name));
      if (unknown.length > 0)
        throw new AppConfigError(
          `No projection named ${unknown.join(', ')}; the app has ${projections.map((p) => p.name).join(', ') || 'none'}.`,
        );
    }
    return [
      ...projections.filter((p) => !only || only.includes(p.name)),
      ...(given.includeReactions ? (definition.reactions ?? []) : []),
    ];
  };
  if (!options.rebuild) {
    // At every start until a rebuild completes: the mark is in the database, not in this process.
    // Only the marked: a lossy migration marks no projection without a checkpoint (on a new
    // database it replays from the start anyway).
    const marked = migrations.pending ?? [];
    const justApplied = new Set(
      migrations.steps.flatMap((step) => step.rebuild ?? []).filter((n) => marked.includes(n)),
    );
    const pending = marked.filter((name) => manager.projection(name));
    for (const name of [...new Set([...justApplied, ...pending])].sort()) {
      if (!manager.projection(name)) {
        // Marked by a migration of a projection the app does not have (removed or renamed since).
        logger.warn(
          `eventsmith: a projection migration just applied emptied or reset the table of ${name}, which is not ` +
            `a projection of this app: nothing to rebuild. If it was removed or renamed for good, drop what the database ` +
            `keeps of it (its mark, checkpoints and dead letters) with \`eventsmith projections forget ${name} --db <url>\`.`,
          { projection: name },
        );
        continue;
      }
      logger.warn(
        `eventsmith: ${justApplied.has(name) ? 'a projection migration just applied' : 'a projection migration applied earlier'} ` +
          `emptied or reset the table of ${name}, and it has not been rebuilt since: rows written ` +
          `before it are missing or hold zero values until you rebuild it, with app.manager.rebuild('${name}') ` +
          `or \`eventsmith projections rebuild ${name} --db <url>\` (\`rebuild: true\` rebuilds it at start).`,
        { projection: name },
      );
    }
  }
  // Before the subscriptions start, so the app serves reads from the rebuilt tables. Strict, as
  // `eventsmith projections rebuild`: an event the handlers fail on stops it, and says which.
  if (options.rebuild)
    migrations = await rebuildNamedProjections(
      migrations,
      async (name) =>
        // A projection the app no longer has: a later migration dropped its table.
        manager.projection(name) ? manager.rebuild(name, { strict: true }) : undefined,
      database,
    );
  let running = false;
  const controls: AppControls<Aggs, Classes> = {
    store,
    database,
    manager,
    migrations,
    repository: <K extends keyof Aggs>(aggregate: K, given?: { tenantId?: string }) =>
      dispatchers.get(aggregate as string)!.repository(given?.tenantId) as unknown as AggregateRepository<
        InstanceType<Classes[K]>
      >,
    waitForProjections: async (given = {}) =>
      waitForProjections(manager, store, watched(given), {
        ...given,
        recheckMs: options.subscriptions?.pollIntervalMs ?? 1000,
      }),
    async start() {
      if (running) return;
      running = true;
      for (const failure of await manager.start())
        logger.warn(`eventsmith: a wake-up source failed to start: ${failure.message}`);
      relay?.start();
    },
    async close() {
      if (!running) return;
      running = false;
      await manager.stop();
      await relay?.stop();
    },
  };
  const app = Object.assign(Object.create(null) as object, commands(identity), controls) as App<Aggs, Classes>;
  if (options.start !== false) await app.start();
  return app;
}

const identity = (given: DispatchOptions | undefined): DispatchOptions => given ?? {};

/**
 * The store decodes what it reads, and refuses to append, with its own registry: one opened with
 * another domain's registry (two domains on one store) would fail at the first command. Say so at
 * creation, with the fix.
 */
function checkRegistryKnowsEvents<Aggs extends AggregateSpecs, Classes extends AggregateClasses<Aggs>>(
  definition: AppDefinition<Aggs>,
  options: AppOptions<Aggs, Classes>,
): void {
  const registry = (options.store as Partial<Pick<EventStore, 'registry'>>).registry;
  if (!registry) return;
  // The events each class handles: a generated class lists them, a hand-written one decorates them.
  const classes = Object.values(options.aggregates as Record<string, unknown>) as (typeof AggregateRoot | undefined)[];
  const types = classes.flatMap((cls) => (cls ? [...cls.handledEventTypes, ...handlerTable(cls).keys()] : []));
  const missing = [...new Set(types.filter((type) => !registry.has(type)))].sort();
  if (missing.length === 0) return;
  const domain = definition.domain;
  throw new AppConfigError(
    `The store's event registry does not know ${missing.length === 1 ? 'the event' : 'the events'} ${missing.join(', ')} ` +
      `of the ${domain} domain, so it could neither append nor read ${missing.length === 1 ? 'it' : 'them'}. ` +
      `Open the store with the domain's registry (\`registry: create${domain}Registry()\`); when several domains share ` +
      `the store, with all of theirs: \`registry: EventRegistry.merge(create${domain}Registry(), createOtherRegistry())\`.`,
  );
}

/** Without migrating (`migrate: false`): only the projections the database marks as needing a rebuild. */
async function pendingOnly(database: Kysely<any> | undefined): Promise<MigrationReport> {
  const pending = database ? (await listPendingRebuilds(database)).map((p) => p.projection) : [];
  return { steps: [], ...(pending.length > 0 ? { pending } : {}) };
}
