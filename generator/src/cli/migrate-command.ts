import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kysely } from 'kysely';
import {
  AppMigrationError,
  describeMigrationsAhead,
  EventRegistry,
  migrateApp,
  projectionMigrationTable,
  ProjectionRebuildAfterMigrationError,
  ProjectionRunningError,
  SqlMigrationTable,
  tablesWithLooseCollation,
  type EventStore,
  type LooseCollationTable,
  type MigrationReport,
  type MigrationStep,
  type RebuildReport,
} from '@eventsmith/runtime';
import { loadDomain, readDomainFileSync, type DomainSourceFile } from '@eventsmith/schema';
import { Layout } from '../emit/common/layout.js';
import { parseDatabaseUrl as parseUrl, type DatabaseTarget } from '../ops/database-url.js';
import { importTypeScript } from '../ops/import-typescript.js';
import { driverNotInstalled, OpsFailure } from '../ops/ops-failure.js';
import { loadProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { CliFailure, cliFailureOf } from './cli-error.js';
import { resolveInputs, type DomainConfig, type EventsmithConfig } from '../config/config.js';
import type { CliIo } from './io.js';
import type { OutputFormat } from './report.js';
import { rebuildJson, rebuildText, rebuildWithProgress } from './rebuild-output.js';

/** `sqlite:app.db`, `app.sqlite`, `postgres://…`, `mysql://…` → a target; anything else is a usage error. */
export function parseDatabaseUrl(url: string, cwd: string): DatabaseTarget {
  try {
    return parseUrl(url, cwd);
  } catch (error) {
    if (error instanceof OpsFailure) throw cliFailureOf(error);
    throw error;
  }
}

export type { DatabaseTarget };

/**
 * `eventsmith migrate --db <url>`: creates or upgrades everything the apps of the config need, in
 * order: the event store tables, the subscription tables (checkpoints, dead letters, leases,
 * outbox) and each domain's generated projection tables (recorded per domain, so several domains
 * can share the database). Prints what each step applied; on a failure, what was applied before it.
 *
 * Then, unless `rebuild` is false (`--no-rebuild`), it rebuilds each projection that a migration
 * emptied or reset (`rebuild: [...]` in the generated migration) and that has not been rebuilt
 * since, whether this run or an earlier one applied the migration (the database keeps the mark
 * until a rebuild completes), as `eventsmith projections rebuild` does, and prints its report;
 * with `rebuild: false` it says which to rebuild. A failed rebuild leaves the migrations applied
 * and the mark in place, and says what to run.
 */
export async function migrateDatabase(
  io: CliIo,
  config: EventsmithConfig,
  url: string,
  format: OutputFormat = 'text',
  options: { readonly rebuild?: boolean } = {},
): Promise<void> {
  const target = parseDatabaseUrl(url, io.cwd);
  // What the user runs to rebuild by hand (the password redacted).
  const dbArgument = target.dialect === 'sqlite' ? `sqlite:${target.filename}` : redact(target.url);
  const domains: { output: string; domain: string; projectionMigrations: Record<string, never> }[] = [];
  /** Each projection's tables, by table (from the generated snapshot.json). */
  const projectionOfTable = new Map<string, string>();
  for (const domain of config.domains) {
    const layout = new Layout({ outDir: domain.output, userDir: domain.userDir });
    const index = join(config.root, layout.migrationsIndex);
    try {
      await stat(index);
    } catch {
      continue; // a domain without projections
    }
    const module = (await importTypeScript(pathToFileURL(index).href)) as {
      projectionMigrations?: Record<string, never>;
    };
    if (!module.projectionMigrations) {
      throw new CliFailure([
        {
          code: 'MIGRATE.NOT_GENERATED',
          message: `${index} does not export projectionMigrations.`,
          fix: 'Run `eventsmith generate` first.',
        },
      ]);
    }
    for (const table of await snapshotTables(join(config.root, layout.projectionSnapshot)))
      projectionOfTable.set(table.table, table.projection);
    domains.push({
      output: domain.output,
      domain: await domainName(config.root, domain),
      projectionMigrations: module.projectionMigrations,
    });
  }
  const { store, close } = await open(target);
  // Opened only when a projection is to be rebuilt: it loads the project's generated code and classes.
  let inspector: StoreInspector | undefined;
  const gone: string[] = [];
  const rebuild = async (projection: string): Promise<RebuildReport | undefined> => {
    inspector ??= await StoreInspector.open({ url, cwd: io.cwd, code: await loadProjectCode(config) });
    // Named by a migration, then dropped or renamed by a later one (all run at once on a new database).
    if (inspector.projectionNames.includes(projection)) return rebuildWithProgress(inspector, io, format, projection);
    gone.push(projection);
    return undefined;
  };
  let report: MigrationReport;
  let rebuildFailed: ProjectionRebuildAfterMigrationError | undefined;
  let loose: LooseCollationTable[] = [];
  try {
    report = await migrateApp({
      store,
      domains,
      ...(options.rebuild !== false ? { rebuild, onWaitForRebuild: waitNote(io) } : {}),
    });
    const { db } = store as { db?: Kysely<any> };
    // Only a warning: a database that cannot say (information_schema hidden) does not fail migrate.
    if (db) loose = await tablesWithLooseCollation(db, [...projectionOfTable.keys()]).catch(() => []);
  } catch (error) {
    if (error instanceof ProjectionRebuildAfterMigrationError) {
      report = error.report;
      rebuildFailed = error;
    } else if (error instanceof ProjectionRunningError) {
      throw projectionRunning(error);
    } else {
      if (!(error instanceof AppMigrationError)) throw error;
      if (format === 'text') {
        print(io, error.report, domains, { step: error.step, migration: error.failedMigration });
        warnToRebuild(io, error.report, dbArgument);
      }
      const applied = error.report.steps.some((step) => step.applied.length > 0);
      const done = error.report.steps.flatMap((step) => step.applied);
      const diverged = error.diverged;
      if (diverged) {
        throw new CliFailure(
          [
            {
              code: 'MIGRATE.DIVERGED',
              message: `The ${error.step.tables} tables${error.step.domain ? ` of ${error.step.domain}` : ''} were not migrated: ${diverged.why}`,
              fix: diverged.fix,
            },
          ],
          applied ? 'the migrations printed above were applied and stay applied' : 'nothing was applied',
        );
      }
      throw new CliFailure(
        [
          {
            code: 'MIGRATE.FAILED',
            message:
              format === 'json' && done.length > 0
                ? `${error.message} (applied before the failure, and still applied: ${done.join(', ')})`
                : error.message,
            fix: 'Fix the cause and run `eventsmith migrate` again: it goes on from where it stopped.',
          },
        ],
        applied ? 'the migrations printed above were applied and stay applied' : 'nothing was applied',
      );
    }
  } finally {
    await inspector?.close();
    await close();
  }
  const where = target.dialect === 'sqlite' ? target.filename : redact(target.url);
  if (format === 'text') {
    print(io, report, domains);
    io.out(`Event store, subscription and projection tables are ready in ${where}.\n`);
    for (const rebuilt of report.rebuilt ?? []) io.out(`${rebuildText(rebuilt)}\n`);
    for (const name of report.rebuiltElsewhere ?? [])
      io.out(
        `${name} was rebuilt by another process meanwhile (another \`eventsmith migrate\` or \`projections rebuild\` at the same time): nothing left to rebuild.\n`,
      );
    for (const name of gone) io.err(goneNote(name, dbArgument));
    if (options.rebuild === false)
      warnToRebuild(io, report, dbArgument, report.pending?.length ? await projectionNames(config) : undefined);
  }
  // A newer version of the project migrated the database: nothing to apply, and no failure (an
  // older release's migrate step during a rolling deploy or a rollback must not stop it).
  for (const step of report.steps) {
    const ahead = describeMigrationsAhead(step);
    if (ahead)
      io.err(
        `warning: ${ahead.replace('This process runs an older version', "This project's migrations are from an older version")}\n`,
      );
  }
  warnOfLooseCollation(io, loose, projectionOfTable, dbArgument);
  if (rebuildFailed) throw rebuildFailure(rebuildFailed, format, dbArgument);
  if (format === 'json') {
    const steps = report.steps.map((step) => ({
      tables: step.tables,
      ...(step.domain !== undefined
        ? { domain: step.domain, output: domains.find((d) => d.domain === step.domain)?.output ?? null }
        : {}),
      applied: step.applied,
      ...(step.adopted?.length ? { adopted: step.adopted } : {}),
      ...(step.rebuild?.length ? { rebuild: step.rebuild } : {}),
      ...(step.ahead ? { ahead: step.ahead } : {}),
    }));
    const rebuilt = {
      ...(report.rebuilt?.length ? { rebuilt: report.rebuilt.map(rebuildJson) } : {}),
      // Rebuilt by another run at the same time, which held the rebuild's lease.
      ...(report.rebuiltElsewhere?.length ? { rebuiltElsewhere: report.rebuiltElsewhere } : {}),
    };
    // Still marked as needing a rebuild: with --no-rebuild, or a projection the project no longer has.
    const pending = report.pending?.length ? { pending: report.pending } : {};
    io.out(`${JSON.stringify({ database: where, steps, ...rebuilt, ...pending }, null, 2)}\n`);
  }
}

/** Says why migrate waits: another run (another pod's init container) is rebuilding the projection. */
function waitNote(io: CliIo) {
  return (projection: string, lease: { owner: string; expiresAt: Date }) =>
    io.err(
      `eventsmith: another process (${lease.owner}) is rebuilding ${projection}, probably another \`eventsmith migrate\` at the same time; waiting for it to finish.\n`,
    );
}

/**
 * Nothing was applied: a pending migration would empty the table of a projection a process runs
 * now (an app of the previous version), and the rebuild after it would be refused.
 */
function projectionRunning(error: ProjectionRunningError): CliFailure {
  const names = [...new Set(error.running.map((r) => r.projection))];
  return new CliFailure(
    [
      {
        code: 'MIGRATE.PROJECTION_RUNNING',
        message:
          error.running
            .map(
              (r) =>
                `Migration ${r.migration} of ${r.domain} empties or resets the table of ${r.projection}, which another process runs now: ` +
                r.leases
                  .map(
                    (lease) =>
                      `${lease.owner} holds ${lease.tenantId === null ? 'its lease' : `tenant ${lease.tenantId}'s lease`} until ${lease.expiresAt.toISOString()} (and renews it while it runs)`,
                  )
                  .join('; '),
            )
            .join('. ') +
          `. Applied now, the table would stay empty or at zero values while that process runs, and the rebuild after it would be refused.`,
        fix:
          `Stop the processes that run ${names.join(' and ')} (an app of the version before this migration), then run \`eventsmith migrate\` again. ` +
          `Or apply it now with \`eventsmith migrate --no-rebuild\` and rebuild once they stopped (${names.map((n) => `\`eventsmith projections rebuild ${n} --db <url>\``).join(', ')}): the table stays empty meanwhile. ` +
          `The lease of a process that died runs out by itself.`,
      },
    ],
    'nothing was applied',
  );
}

/** The migrations succeeded but a rebuild failed: they stay applied; the fix names the command that rebuilds. */
function rebuildFailure(error: ProjectionRebuildAfterMigrationError, format: OutputFormat, dbArgument: string) {
  const names = error.failed.map((f) => f.projection);
  const rebuilt = error.report.rebuilt ?? [];
  return new CliFailure(
    [
      {
        code: 'MIGRATE.REBUILD_FAILED',
        message:
          `The migrations were applied and stay applied, but ` +
          error.failed.map((f) => `rebuilding ${f.projection} failed: ${whyFailed(f.cause)}`).join('; ') +
          `. Until ${names.length === 1 ? 'it is' : 'they are'} rebuilt, the table of ${names.join(', ')} is empty or holds zero values` +
          (format === 'json' && rebuilt.length ? ` (rebuilt: ${rebuilt.map((r) => r.projection).join(', ')})` : '') +
          '.',
        fix: `Fix the cause, then rebuild: ${names.map((n) => `eventsmith projections rebuild ${n} --db ${dbArgument}`).join(' and ')}, or run \`eventsmith migrate\` again (the database marks ${names.length === 1 ? 'it' : 'them'} as needing a rebuild until one completes).`,
      },
    ],
    'the migrations printed above were applied and stay applied',
  );
}

/**
 * A warning for each projection the database marks as needing a rebuild (a migration applied
 * above, or by an earlier run, emptied or reset its table), with the command that rebuilds it; for
 * a marked name that is not one of `projections` (when known), the note that says how to forget it.
 */
function warnToRebuild(
  io: CliIo,
  report: MigrationReport,
  dbArgument: string,
  projections?: ReadonlySet<string>,
): void {
  const applied = new Set(report.steps.flatMap((step) => step.rebuild ?? []));
  // The marks say which: a projection without a checkpoint (a new database) lost nothing.
  for (const name of [...(report.pending ?? [])].sort())
    if (projections && !projections.has(name)) io.err(goneNote(name, dbArgument));
    else
      io.err(
        `warning: a migration ${applied.has(name) ? 'applied above' : 'applied earlier'} emptied or reset the table of ${name}${applied.has(name) ? '' : ', and it has not been rebuilt since'}: rows written before it are missing or hold zero values until you rebuild it: eventsmith projections rebuild ${name} --db ${dbArgument}\n`,
      );
}

/** A marked projection the project no longer has: nothing to rebuild, and the command that drops its mark. */
function goneNote(name: string, dbArgument: string): string {
  return (
    `note: ${name}, whose table a migration emptied or reset, is no longer a projection of this project: nothing to rebuild. ` +
    `If it was removed or renamed for good, drop what the database keeps of it (its mark, checkpoints and dead letters): eventsmith projections forget ${name} --db ${dbArgument}\n`
  );
}

/** The projections of the project's generated code; undefined when that code does not load. */
async function projectionNames(config: EventsmithConfig): Promise<ReadonlySet<string> | undefined> {
  try {
    return new Set((await loadProjectCode(config)).projections.keys());
  } catch {
    return undefined; // then every mark gets the warning to rebuild, as before
  }
}

/**
 * MariaDB/MySQL: a warning for each projection table created before projection migrations gave
 * new tables a binary collation, so it still ignores case and trailing spaces in keys.
 */
function warnOfLooseCollation(
  io: CliIo,
  loose: readonly LooseCollationTable[],
  projectionOfTable: ReadonlyMap<string, string>,
  dbArgument: string,
): void {
  for (const { table, collation, fix } of loose)
    io.err(
      `warning: projection table ${table} compares text by ${collation}, which ignores case and trailing spaces: keys such as "A1", "a1" and "a1 " are one row there, and three on SQLite and PostgreSQL. Convert it (it keeps its rows): ${fix} Then, if its keys may differ only in case or trailing spaces, rebuild it: eventsmith projections rebuild ${projectionOfTable.get(table) ?? table} --db ${dbArgument}\n`,
    );
}

/** The projection tables a generated snapshot.json lists (none if there is no snapshot). */
async function snapshotTables(file: string): Promise<{ table: string; projection: string }[]> {
  try {
    const snapshot = JSON.parse(await readFile(file, 'utf8')) as { tables?: { table: string; projection: string }[] };
    return snapshot.tables ?? [];
  } catch {
    return [];
  }
}

/** Why a rebuild failed, in one line: the CLI's own errors with their fix, the runtime's message. */
function whyFailed(cause: unknown): string {
  if (cause instanceof OpsFailure) return cause.errors.map((e) => `${e.message} ${e.fix ?? ''}`.trim()).join(' ');
  return redact(cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, '');
}

/**
 * One line per step: what it applied, or that its tables were up to date. After a failure, the
 * step that failed says so (with what it applied before), never that it was up to date.
 */
function print(
  io: CliIo,
  report: MigrationReport,
  domains: readonly { output: string; domain: string }[],
  failed?: { readonly step: Omit<MigrationStep, 'applied'>; readonly migration: string | undefined },
): void {
  // A migration that failed inside the migrator (it names the migration) ends the report with its
  // step and what that step applied before it; a step that could not start is not in the report.
  const last = report.steps[report.steps.length - 1];
  const failedIsLast =
    failed !== undefined && last?.tables === failed.step.tables && last.domain === failed.step.domain;
  const steps = failedIsLast ? report.steps.slice(0, -1) : report.steps;
  const name = (step: Omit<MigrationStep, 'applied'>) =>
    step.tables === 'projections'
      ? `${domains.find((d) => d.domain === step.domain)?.output ?? step.domain}`
      : step.tables === 'event store'
        ? 'Event store tables'
        : 'Subscription and outbox tables';
  for (const step of steps) {
    const what = name(step);
    const adopted = step.adopted?.length
      ? ` (${step.adopted.join(', ')} were recorded in the shared ${SqlMigrationTable.projections} table; now recorded in ${projectionMigrationTable(step.domain!)})`
      : '';
    const state = step.ahead
      ? `the database is ahead (it has ${step.ahead.newer.join(', ')}, newer than this project's ${step.ahead.newestKnown}), nothing applied`
      : step.applied.length
        ? `applied ${step.applied.join(', ')}`
        : step.tables === 'projections'
          ? 'projection tables up to date'
          : 'up to date';
    io.out(`${what}: ${state}${adopted}.\n`);
  }
  if (failed) {
    const before = failedIsLast && last.applied.length ? `applied ${last.applied.join(', ')}, then ` : '';
    io.out(`${name(failed.step)}: ${before}failed${failed.migration ? ` at ${failed.migration}` : ''}.\n`);
  }
}

/** The `domain:` name of a config domain (it names the table its projection migrations are recorded in). */
async function domainName(root: string, domain: DomainConfig): Promise<string> {
  const inputs = await resolveInputs(root, domain);
  const sources: DomainSourceFile[] = [];
  for (const path of inputs.files) {
    const read = readDomainFileSync(join(root, path), { displayPath: path });
    if (read.ok) sources.push({ path, text: read.value });
  }
  const loaded = inputs.errors.length === 0 ? loadDomain(sources) : undefined;
  if (!loaded?.ok) {
    throw new CliFailure([
      {
        code: 'MIGRATE.DOMAIN',
        message: `Cannot read the domain in ${domain.input.join(', ')}, whose name records its projection migrations.`,
        fix: 'Run `eventsmith validate` and fix what it reports, then `eventsmith generate`.',
      },
    ]);
  }
  return loaded.value.name;
}

/**
 * Opens the store without migrating it or checking that it is migrated: `migrateApp` migrates it,
 * and reports what it applied.
 */
async function open(target: DatabaseTarget): Promise<{ store: EventStore; close: () => Promise<void> }> {
  const registry = EventRegistry.create({ events: [] });
  try {
    if (target.dialect === 'sqlite') {
      const { SqliteEventStore } = (await import('@eventsmith/runtime/sqlite')) as {
        SqliteEventStore: StoreClass<{ filename: string }>;
      };
      const store = await SqliteEventStore.open({
        filename: target.filename,
        registry,
        migrate: false,
        checkMigrated: false,
      });
      return { store, close: () => store.close() };
    }
    // One import per entry (not a template), so bundlers and vite see which modules this can load.
    const Store =
      target.dialect === 'postgres'
        ? ((await import('@eventsmith/runtime/postgres')) as { PostgresEventStore: StoreClass<{ url: string }> })
            .PostgresEventStore
        : ((await import('@eventsmith/runtime/mysql')) as { MysqlEventStore: StoreClass<{ url: string }> })
            .MysqlEventStore;
    const store = await Store.open({ url: target.url, registry, migrate: false, checkMigrated: false });
    return { store, close: () => store.close() };
  } catch (error) {
    const driver = driverNotInstalled(error);
    if (driver) throw new CliFailure([driver]);
    throw new CliFailure([
      {
        code: 'MIGRATE.CONNECT',
        message: `Cannot open the ${target.dialect} event store: ${error instanceof Error ? redact(error.message) : String(error)}.`,
        fix: 'Check that the database is running and the URL is right.',
      },
    ]);
  }
}

interface StoreClass<O> {
  open(options: O & { registry: EventRegistry; migrate: boolean; checkMigrated: boolean }): Promise<EventStore>;
}

function redact(text: string): string {
  return text.replace(/\/\/([^:@/]+):([^@/]+)@/g, '//$1:***@');
}
