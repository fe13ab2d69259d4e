import type { Kysely, Migration } from 'kysely';
import { EventsmithError, type StoreFailureReason } from '../errors.js';
import { storeFailureAdvice } from '../store-failure-advice.js';
import type { RebuildReport } from '../subscriptions/rebuild-projection.js';
import { projectionMigrationDatabase } from '../projections/drop-index-plugin.js';
import type { EventStore } from '../store/event-store.js';
import { migrateEventStoreSeeding } from '../store/sql/migrate-event-store.js';
import {
  MigrationsDivergedError,
  runMigrations,
  type MigrationRun,
  type MigrationsAhead,
} from '../store/sql/run-migrations.js';
import { redactedError, storeFailureReason } from '../store/sql/store-errors.js';
import { detectDialect } from '../store/sql/sql-dialect.js';
import { SqlMigrationTable } from '../store/sql/sql-tables.js';
import {
  clearPendingRebuild,
  listPendingRebuilds,
  markPendingRebuilds,
} from '../subscriptions/sql/pending-rebuilds.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';
import { awaitRebuildElsewhere } from '../subscriptions/sql/projection-leases.js';
import type { HeldLease } from '../subscriptions/subscription-errors.js';
import { ProjectionRunningError, refuseLossyWhileRunning } from './refuse-lossy-while-running.js';

/** One set of tables a migration looked at, and the migrations it applied (none when up to date). */
export interface MigrationStep {
  readonly tables: 'event store' | 'subscriptions and outbox' | 'projections';
  /** The domain, for projection tables. */
  readonly domain?: string;
  readonly applied: readonly string[];
  /**
   * Projections whose tables a migration applied here emptied or reset (a table recreated for a
   * new primary key, a column retyped or added without a default): their rows are missing or hold
   * zero values until the projection is rebuilt (`app.manager.rebuild(name)`, or `eventsmith
   * projections rebuild <name>`). Absent when there is none.
   */
  readonly rebuild?: readonly string[];
  /** Projection migrations recorded in the shared table of older versions, now recorded per domain. */
  readonly adopted?: readonly string[];
  /**
   * The database records migrations of these tables that this code does not have, all newer than
   * its own: a newer version of the app (or of eventsmith) migrated it. Nothing was applied; this
   * process runs an older version than the database's schema, which is expected during a rolling
   * deploy or after a rollback. `createApp` logs a warning; see {@link describeMigrationsAhead}.
   */
  readonly ahead?: MigrationsAhead;
}

/** What a migration did, step by step, in order. */
export interface MigrationReport {
  readonly steps: readonly MigrationStep[];
  /**
   * With {@link MigrateAppOptions.rebuild}: the rebuild of each projection the applied migrations
   * named (`step.rebuild`), by name. Absent when there was none to rebuild.
   */
  readonly rebuilt?: readonly RebuildReport[];
  /**
   * With {@link MigrateAppOptions.rebuild}: projections this call did not rebuild because another
   * process rebuilt them meanwhile (another `eventsmith migrate` or start at the same time held
   * the rebuild's lease, and its rebuild cleared the mark), by name. Absent when there is none.
   */
  readonly rebuiltElsewhere?: readonly string[];
  /**
   * Every projection the database marks as needing a rebuild once the migrations ran: those a
   * migration emptied or reset, whether applied by this call or by an earlier one whose rebuild
   * failed, was killed or never ran (`eventsmith_pending_rebuilds`), by name. A mark is cleared
   * only when a rebuild of the projection completes. With {@link MigrateAppOptions.rebuild}, what
   * is left after its rebuilds. Absent when there is none (or no SQL database).
   */
  readonly pending?: readonly string[];
}

/**
 * A migration failed. `code` is `APP.MIGRATIONS_DIVERGED` when the database records migrations
 * this code does not have while some of its own are not applied (`diverged` is then the
 * `MigrationsDivergedError`, whose `fix` says what to do), else `APP.MIGRATION_FAILED`. `report` lists what was applied before it (that stays applied), `step` the
 * tables whose migration failed. When the database's error says why the database cannot be used
 * (a login refused, a right missing, the server gone: see {@link StoreFailureReason}), `reason`
 * says so and the message says what to do, as the store's own errors do; `cause` is then a copy
 * of the driver's error that keeps its message and codes but nothing that could hold a password.
 */
export class AppMigrationError extends EventsmithError {
  readonly reason: StoreFailureReason | undefined;
  readonly diverged: MigrationsDivergedError | undefined;
  constructor(
    readonly report: MigrationReport,
    readonly step: Omit<MigrationStep, 'applied'>,
    readonly failedMigration: string | undefined,
    cause: unknown,
  ) {
    const reason = classify(cause);
    const shown = reason ? redactedError(cause, []) : cause;
    const text = (shown instanceof Error ? shown.message : String(shown)).replace(/\.$/, '');
    const diverged = divergence(cause);
    super(
      diverged ? 'APP.MIGRATIONS_DIVERGED' : 'APP.MIGRATION_FAILED',
      `Migrating the ${step.tables} tables${step.domain ? ` of ${step.domain}` : ''} failed` +
        (failedMigration ? ` at ${failedMigration}` : '') +
        // A cause that ends its own sentence keeps its period, without a second one.
        (reason
          ? `: ${reason === 'file' ? 'the database file' : 'the database server'} ${storeFailureAdvice(reason).replace(/\.$/, '')} (${text}). `
          : `: ${text}. `) +
        (report.steps.some((s) => s.applied.length > 0)
          ? `Already applied: ${report.steps.flatMap((s) => s.applied).join(', ')}.`
          : 'Nothing was applied before it.'),
      { cause: shown },
    );
    this.reason = reason;
    this.diverged = diverged;
  }
}

/** The `MigrationsDivergedError` behind `cause` (the event store wraps it in its own error), if any. */
function divergence(cause: unknown): MigrationsDivergedError | undefined {
  for (let error = cause; error instanceof Error; error = error.cause)
    if (error instanceof MigrationsDivergedError) return error;
  return undefined;
}

/**
 * What a step whose database is ahead of the code means, for a warning (`createApp` logs it,
 * `eventsmith migrate` prints it); undefined when the step is not ahead.
 */
export function describeMigrationsAhead(step: MigrationStep): string | undefined {
  if (!step.ahead) return undefined;
  const { newestKnown, newer } = step.ahead;
  const tables = `the ${step.tables} tables${step.domain ? ` of ${step.domain}` : ''}`;
  return (
    `The database is ahead of this version: ${tables} have migration${newer.length === 1 ? '' : 's'} ${newer.join(', ')} applied, ` +
    `newer than ${newestKnown}, the newest this version has, so nothing was applied. This process runs an older ` +
    `version than the one that migrated the database, as is expected during a rolling deploy or after a rollback. ` +
    `Finish the deploy. To roll back for good, undo the newer migrations with their \`down\` functions, from the ` +
    `newer version's code (Kysely's Migrator: migrateTo('${newestKnown}') on the same migration table), or restore a ` +
    `backup taken before them.`
  );
}

/** Why the database could not be used, from a driver's error; undefined for a failed statement or one of eventsmith's errors. */
function classify(cause: unknown): StoreFailureReason | undefined {
  if (cause instanceof EventsmithError) return undefined;
  const reason = storeFailureReason(cause, true);
  // A migration creates the tables: "not migrated" (opened with migrate: false) is no advice here.
  return reason === 'not-migrated' ? undefined : reason;
}

/**
 * The migrations succeeded, and stay applied, but rebuilding a projection that one of them emptied
 * or reset failed: its table is empty or holds zero values until it is rebuilt. `report` is what
 * the migration did, with the rebuilds that succeeded in `report.rebuilt`; `failed` each
 * projection whose rebuild failed, with why.
 */
export class ProjectionRebuildAfterMigrationError extends EventsmithError {
  constructor(
    readonly report: MigrationReport,
    readonly failed: readonly { readonly projection: string; readonly cause: unknown }[],
  ) {
    const names = failed.map((f) => f.projection);
    super(
      'APP.REBUILD_AFTER_MIGRATION_FAILED',
      `The migrations were applied and stay applied, but ` +
        failed.map((f) => `rebuilding ${f.projection} failed: ${messageOf(f.cause)}`).join('; ') +
        `. Until ${names.length === 1 ? 'it is' : 'they are'} rebuilt, the table of ${names.join(', ')} is empty or holds zero values: ` +
        `fix the cause, then rebuild with ${names.map((n) => `\`eventsmith projections rebuild ${n} --db <url>\``).join(' and ')} ` +
        `(or app.manager.rebuild(name)).`,
      { cause: failed[0]?.cause },
    );
  }
}

/** A cause's message without its closing period, to join into a sentence. */
function messageOf(cause: unknown): string {
  return (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '');
}

/**
 * A migration of projection tables: Kysely's `up` and `down`, and the projections whose existing
 * rows it loses, which must be rebuilt after it ran on a database that had rows.
 */
export interface ProjectionTableMigration extends Migration {
  /** Projections whose rows this migration empties or resets (the generator sets it). */
  readonly rebuild?: readonly string[] | undefined;
}

/** The projection migrations of one domain. */
export interface DomainMigrations {
  readonly domain: string;
  readonly projectionMigrations?: Readonly<Record<string, ProjectionTableMigration>> | undefined;
}

export interface MigrateAppOptions {
  /** The event store; its tables are migrated when it is a SQL store (it exposes `db`). */
  readonly store?: EventStore | undefined;
  /** The database of the projection, checkpoint and dead-letter tables. Default: the store's. */
  readonly database?: Kysely<any> | undefined;
  readonly domains: readonly DomainMigrations[];
  /**
   * Rebuilds one projection (`(name) => manager.rebuild(name)`). When given, every projection
   * marked as needing a rebuild ({@link MigrationReport.pending}: named in `rebuild` by a
   * migration applied by this call or by an earlier one, and not rebuilt since) is rebuilt with it
   * once all migrations succeeded, one after the other, and its report is added to `rebuilt`; with
   * no mark it rebuilds nothing. If one fails, the others are still rebuilt and
   * {@link ProjectionRebuildAfterMigrationError} is thrown (the migrations stay applied). Return
   * undefined for a projection you no longer have (a later migration dropped or renamed its
   * table; on a new database all of them run at once): it is skipped.
   *
   * Before it applies anything, it refuses ({@link ProjectionRunningError}, nothing applied) when a
   * migration not applied yet would empty or reset the table of a projection another process runs
   * now (it holds the projection's lease: an app of the previous version): the rebuild would be
   * refused, and the table would stay empty while that process runs. When another rebuild holds
   * the lease (another `migrateApp` with `rebuild` at the same time), it waits for that one, and
   * reports the projection in `rebuiltElsewhere` if it completed.
   *
   * Default: none. The report lists those projections (`step.rebuild`) and rebuilding them is
   * yours: a rebuild replays every event of the projection, which can take long, needs the
   * projection's handlers and their services, and is refused while another process runs the
   * projection. `eventsmith migrate` passes one (unless `--no-rebuild`); `createApp` with
   * `rebuild: true` passes `app.manager.rebuild`.
   */
  readonly rebuild?: ((projection: string) => Promise<RebuildReport | undefined>) | undefined;
  /**
   * With `rebuild`: called when a projection's rebuild waits for another process's rebuild of it
   * (`lease` is that one's), so a long wait can be explained. Default: none.
   */
  readonly onWaitForRebuild?: ((projection: string, lease: HeldLease) => void) | undefined;
}

/**
 * The table where a domain's projection migrations are recorded: one per domain, so several
 * domains can share a database (Kysely's migrator refuses a table that records migrations it
 * was not given).
 *
 * @example
 * ```ts
 * projectionMigrationTable('LibraryLending'); // 'eventsmith_projection_migration_library_lending'
 * ```
 */
export function projectionMigrationTable(domain: string): string {
  const snake = domain
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase();
  return `${SqlMigrationTable.projections}_${snake}`;
}

/**
 * Creates or upgrades everything an app needs, in order: the event store tables (SQL stores),
 * the subscription tables (checkpoints, dead letters, leases, outbox) and each domain's
 * projection tables, and reports what it applied. Safe to run at every start and from several
 * processes. On failure it throws {@link AppMigrationError}, which says what was applied before.
 * With `rebuild`, it then rebuilds the projections the applied migrations emptied or reset.
 *
 * @example
 * ```ts
 * const report = await migrateApp({ store, domains: [bankApp()] });
 * for (const step of report.steps) console.log(step.tables, step.applied, step.rebuild ?? []);
 * ```
 */
export async function migrateApp(options: MigrateAppOptions): Promise<MigrationReport> {
  const steps: MigrationStep[] = [];
  const storeDb = sqlDatabaseOf(options.store);
  const database = options.database ?? storeDb;
  if (options.rebuild && database) await refuseLossyMigrationsWhileRunning(database, options.domains);
  const run = async (
    step: Omit<MigrationStep, 'applied'>,
    migrate: () => Promise<MigrationRun>,
    details: (applied: readonly string[]) => Pick<MigrationStep, 'rebuild' | 'adopted'> = () => ({}),
  ): Promise<void> => {
    let result: MigrationRun;
    try {
      result = await migrate();
    } catch (error) {
      throw new AppMigrationError({ steps: [...steps] }, step, undefined, error);
    }
    const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // What a step applied before failing stays applied: its rebuilds are reported too.
    const done = { ...step, applied, ...details(applied), ...(result.ahead ? { ahead: result.ahead } : {}) };
    if (result.error !== undefined) {
      const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
      throw new AppMigrationError({ steps: [...steps, done] }, step, failed, result.error);
    }
    steps.push(done);
  };
  if (storeDb)
    // A store opened before migration 0005 ran uses the id derived from its name (or its storeId
    // option): 0005 keeps that one unless the checkpoints carry another.
    await run({ tables: 'event store' }, () =>
      migrateEventStoreSeeding(
        storeDb,
        { dialect: detectDialect(storeDb) },
        { derivedStoreId: options.store!.storeId },
      ),
    );
  if (database) {
    await run({ tables: 'subscriptions and outbox' }, () => migrateSubscriptionTables(database));
    // The outbox is written in the store's transactions, so it lives on the store's database too.
    if (storeDb && storeDb !== database)
      await run({ tables: 'subscriptions and outbox' }, () => migrateSubscriptionTables(storeDb));
  }
  for (const domain of options.domains) {
    const migrations = domain.projectionMigrations ?? {};
    if (Object.keys(migrations).length === 0) continue;
    if (!database) {
      throw new AppMigrationError(
        { steps },
        { tables: 'projections', domain: domain.domain },
        undefined,
        new Error('there is no SQL database for the projection tables; pass one (an in-memory store has none)'),
      );
    }
    const table = projectionMigrationTable(domain.domain);
    let adopted: string[] = [];
    await run(
      { tables: 'projections', domain: domain.domain },
      async () => {
        adopted = await adoptSharedRecords(database, table, migrations);
        return runMigrations(await projectionMigrationDatabase(database), markingPendingRebuilds(migrations), table);
      },
      (applied) => {
        const rebuild = [...new Set(applied.flatMap((name) => migrations[name]?.rebuild ?? []))].sort();
        return { ...(adopted.length > 0 ? { adopted } : {}), ...(rebuild.length > 0 ? { rebuild } : {}) };
      },
    );
  }
  const pending = database ? (await listPendingRebuilds(database)).map((p) => p.projection) : [];
  const report = { steps, ...(pending.length > 0 ? { pending } : {}) };
  return options.rebuild
    ? rebuildNamedProjections(report, options.rebuild, database, options.onWaitForRebuild)
    : report;
}

/**
 * Each migration that names projections in `rebuild` first marks them as needing a rebuild, in
 * the migration's transaction (PostgreSQL: the migrator's, which holds the run's migrations;
 * SQLite: one opened around the migration, as the migrator opens none): the mark commits with
 * the migration, or neither does. On MariaDB, whose DDL commits by itself, the mark is written before the DDL: a
 * migration that fails after it leaves a mark (a rebuild too many), never a table emptied without
 * one.
 */
function markingPendingRebuilds(
  migrations: Readonly<Record<string, ProjectionTableMigration>>,
): Record<string, ProjectionTableMigration> {
  return Object.fromEntries(
    Object.entries(migrations).map(([name, migration]) => {
      const rebuild = migration.rebuild ?? [];
      if (rebuild.length === 0) return [name, migration];
      return [
        name,
        {
          ...migration,
          async up(db: Kysely<any>) {
            const apply = async (trx: Kysely<any>) => {
              await markPendingRebuilds(trx, rebuild, name);
              await migration.up(trx);
            };
            // PostgreSQL: the migrator's transaction holds both. SQLite: the migrator runs each
            // migration without one, so it is opened here. MariaDB: no transaction holds DDL.
            if (db.isTransaction || detectDialect(db) === 'mysql') return apply(db);
            await db.transaction().execute(apply);
          },
        },
      ];
    }),
  );
}

/**
 * Throws {@link ProjectionRunningError} when a projection migration of `domains` not applied yet
 * would empty or reset the table of a projection another process runs now (see
 * `refuseLossyWhileRunning`); {@link AppMigrationError} when the database cannot be read. Called
 * before anything is applied, when a rebuild will follow the migrations.
 */
export async function refuseLossyMigrationsWhileRunning(
  database: Kysely<any>,
  domains: readonly DomainMigrations[],
): Promise<void> {
  const recorded = domains.map((domain) => ({
    domain: domain.domain,
    table: projectionMigrationTable(domain.domain),
    migrations: domain.projectionMigrations ?? {},
  }));
  try {
    await refuseLossyWhileRunning(database, recorded);
  } catch (error) {
    if (error instanceof ProjectionRunningError) throw error;
    throw new AppMigrationError({ steps: [] }, { tables: 'projections' }, undefined, error);
  }
}

/**
 * Rebuilds, with `rebuild`, each projection marked as pending (`report.pending`); without
 * `database` (no marks kept), each the report's steps name (`step.rebuild`); in name order; returns the report with their reports in `rebuilt`
 * and, in `pending`, the marked ones not rebuilt (skipped or failed). A failed rebuild does not
 * stop the others; then it throws {@link ProjectionRebuildAfterMigrationError}.
 */
export async function rebuildNamedProjections(
  report: MigrationReport,
  rebuild: (projection: string) => Promise<RebuildReport | undefined>,
  /** Where the marks are: a rebuild that returned a report clears its projection's. */
  database?: Kysely<any>,
  onWait?: MigrateAppOptions['onWaitForRebuild'],
): Promise<MigrationReport> {
  // Where the marks are kept they say what needs it: a lossy migration does not mark a projection
  // that has no checkpoint yet (a new database), which replays from the start anyway.
  const names = [
    ...new Set([...(database ? [] : report.steps.flatMap((step) => step.rebuild ?? [])), ...(report.pending ?? [])]),
  ].sort();
  if (names.length === 0) return report;
  const rebuilt: RebuildReport[] = [];
  const elsewhere: string[] = [];
  const failed: { projection: string; cause: unknown }[] = [];
  /**
   * `rebuild`, or undefined with `projection` in `elsewhere` when another process rebuilt it:
   * refused because another rebuild held the lease (another migration run at the same time), it
   * waits for that one; its mark gone, the projection is rebuilt; still there (that rebuild failed
   * or died), it tries again. Refused because a process runs the projection, it fails.
   */
  const rebuildOrAwait = async (projection: string): Promise<RebuildReport | undefined> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rebuild(projection);
      } catch (cause) {
        const busy = (cause as { code?: unknown } | undefined)?.code === 'PROJECTION.REBUILD_BUSY';
        if (!busy || !database || !report.pending?.includes(projection) || attempt >= 3) throw cause;
        const found = await awaitRebuildElsewhere(database, projection, {
          ...(onWait ? { onWait: (lease: HeldLease) => onWait(projection, lease) } : {}),
        });
        if (found === 'rebuilt') {
          elsewhere.push(projection);
          return undefined;
        }
        if (found !== 'free') throw cause;
      }
    }
  };
  for (const projection of names) {
    try {
      const done = await rebuildOrAwait(projection);
      if (done) {
        rebuilt.push(done);
        // `rebuildProjection` cleared the mark with its swap; a rebuild of your own did not.
        if (database && report.pending?.includes(projection)) await clearPendingRebuild(database, projection);
      }
    } catch (cause) {
      failed.push({ projection, cause });
    }
  }
  const rebuiltNames = new Set([...rebuilt.map((r) => r.projection), ...elsewhere]);
  const left = (report.pending ?? []).filter((name) => !rebuiltNames.has(name));
  const { pending: _, ...rest } = report;
  const done = {
    ...rest,
    rebuilt,
    ...(elsewhere.length > 0 ? { rebuiltElsewhere: elsewhere } : {}),
    ...(left.length > 0 ? { pending: left } : {}),
  };
  if (failed.length > 0) throw new ProjectionRebuildAfterMigrationError(done, failed);
  return done;
}

/** The SQL store's Kysely database, if it is one. */
export function sqlDatabaseOf(store: EventStore | undefined): Kysely<any> | undefined {
  const db = (store as { db?: unknown } | undefined)?.db as Kysely<any> | undefined;
  return db && typeof db.selectFrom === 'function' && typeof db.transaction === 'function' ? db : undefined;
}

/**
 * Before projection migrations were recorded per domain, every domain shared one table. When the
 * domain's own table does not exist yet and the shared one records only this domain's
 * migrations, those records are copied over, so the migrations are not run a second time.
 */
async function adoptSharedRecords(
  db: Kysely<any>,
  table: string,
  migrations: Readonly<Record<string, Migration>>,
): Promise<string[]> {
  const shared = SqlMigrationTable.projections;
  const tables = new Set((await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name));
  if (tables.has(table) || !tables.has(shared)) return [];
  const rows = (await db.selectFrom(shared).select(['name', 'timestamp']).execute()) as {
    name: string;
    timestamp: string;
  }[];
  if (rows.length === 0 || !rows.every((row) => Object.hasOwn(migrations, row.name))) return [];
  const created = await runMigrations(db, {}, table); // creates the table (and its lock table) as the migrator does
  if (created.error !== undefined) throw created.error;
  await db.insertInto(table).values(rows).execute();
  return rows.map((row) => row.name);
}
