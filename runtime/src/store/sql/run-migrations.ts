import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { EventsmithError } from '../../errors.js';

/**
 * The database records migrations this code does not have, all named after its newest one: a
 * newer version of the code migrated it (a rolling deploy, a rollback). Nothing was applied; the
 * tables are at least as new as this code needs.
 */
export interface MigrationsAhead {
  /** The newest migration this code has. */
  readonly newestKnown: string;
  /** The applied migrations this code does not have, in name order. */
  readonly newer: readonly string[];
}

/** What {@link runMigrations} did: Kysely's result set, and `ahead` when the database is ahead of the code. */
export interface MigrationRun extends MigrationResultSet {
  readonly ahead?: MigrationsAhead;
}

/**
 * The migrations a table records and the ones this code has went different ways: the database
 * records migrations this code does not have (`unknown`) while some of this code's are not
 * applied (`unapplied`), or an unapplied one sorts before one that is applied. Typically two
 * branches each added a migration, or the database was migrated by another version. Nothing was
 * applied: running the unapplied ones over the unknown ones could break either.
 */
export class MigrationsDivergedError extends EventsmithError {
  /** What is wrong, without the fix. */
  readonly why: string;
  /** What to do. */
  readonly fix: string;
  constructor(
    /** The table that records the migrations. */
    readonly table: string,
    /** Applied migrations this code does not have, in name order. */
    readonly unknown: readonly string[],
    /** This code's migrations that are not applied, in name order. */
    readonly unapplied: readonly string[],
    /** This code's newest migration. */
    newestKnown: string | undefined,
  ) {
    const list = (names: readonly string[]) => names.join(', ');
    const plural = (names: readonly string[], one: string, more: string) => (names.length === 1 ? one : more);
    const recorded = `the database records migration${plural(unknown, '', 's')} ${list(unknown)}, which this code does not have`;
    const why =
      (unknown.length === 0
        ? `migration${plural(unapplied, '', 's')} ${list(unapplied)} of this code ${plural(unapplied, 'is', 'are')} not applied although a later one is`
        : unapplied.length === 0
          ? `${recorded} and which ${plural(unknown, 'sorts', 'sort')} before this code's newest, ${newestKnown}, so ${plural(unknown, 'it is', 'they are')} not from a newer version`
          : `${recorded}, and migration${plural(unapplied, '', 's')} ${list(unapplied)} of this code ${plural(unapplied, 'is', 'are')} not applied`) +
      ` (in ${table}): the database and this code have different migration histories, so nothing was applied.`;
    const undo = unknown.length > 0 ? unknown : unapplied;
    const fix =
      'Run code whose migrations include every one the database records: merge the branches, keep the ' +
      'migrations the database has, and regenerate the others (`eventsmith generate`) so they are named after ' +
      `them. Or, to go back to this version, undo ${list(undo)} with ${plural(undo, 'its', 'their')} \`down\` ` +
      `${plural(undo, 'function', 'functions')} from the code that has ${plural(undo, 'it', 'them')} (Kysely's Migrator, ` +
      `on ${table}), or restore a backup taken before ${plural(undo, 'it', 'them')}.`;
    super('MIGRATION.DIVERGED', `${why} ${fix}`);
    this.why = why;
    this.fix = fix;
  }
}

/**
 * Applies `migrations` with Kysely's `Migrator`, recording them in `table` (and locking on
 * `<table>_lock`). Returns the result set, whose `error` is set when a migration failed: each
 * caller reports that in its own terms (see `migrateOrThrow`). After a failure, `Success` marks
 * only migrations that stay applied (not those a rolled-back transaction held).
 *
 * A table that records migrations this code does not have is no failure when they all sort after
 * this code's newest and all of this code's are applied: a newer version migrated the database.
 * Nothing is applied then, and `ahead` names them. Any other mismatch is a
 * {@link MigrationsDivergedError} in `error`, not Kysely's "corrupted migrations".
 */
export async function runMigrations(
  db: Kysely<any>,
  migrations: Readonly<Record<string, Migration>>,
  table: string,
): Promise<MigrationRun> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    migrationTableName: table,
    migrationLockTableName: `${table}_lock`,
  });
  const result = await migrator.migrateToLatest();
  // Kysely refuses, as "corrupted migrations", a table that records a migration it was not given
  // or one given that sorts before an applied one; which of the two cases it is, it does not say.
  if (/^corrupted migrations/.test(errorMessage(result.error))) return (await compare(db, migrations, table)) ?? result;
  if (result.error === undefined || !db.getExecutor().adapter.supportsTransactionalDdl) return result;
  // Where DDL is transactional (PostgreSQL), the migrator runs the pending migrations in one
  // transaction, which the failure rolled back: the ones it lists as done before it are not
  // applied, and a report that said they stay applied would mislead whoever reads it.
  return {
    ...result,
    results: result.results?.map((r) => (r.status === 'Success' ? { ...r, status: 'NotExecuted' as const } : r)),
  };
}

/**
 * After the migrator refused the recorded migrations: `{ ahead }` when every migration of this
 * code is applied and the unknown applied ones all sort after its newest (a newer version migrated
 * the database), else `MigrationsDivergedError`; undefined when the records look fine after all.
 */
async function compare(
  db: Kysely<any>,
  migrations: Readonly<Record<string, Migration>>,
  table: string,
): Promise<MigrationRun | undefined> {
  const rows = (await db.selectFrom(table).select('name').execute()) as { name: string }[];
  const applied = new Set(rows.map((row) => row.name));
  // The migrator's order: names sorted by code unit.
  const known = Object.keys(migrations).sort();
  const unknown = [...applied].filter((name) => !Object.hasOwn(migrations, name)).sort();
  const unapplied = known.filter((name) => !applied.has(name));
  const newestKnown = known[known.length - 1];
  if (newestKnown !== undefined && unapplied.length === 0 && unknown.every((name) => name > newestKnown)) {
    return unknown.length > 0 ? { results: [], ahead: { newestKnown, newer: unknown } } : undefined;
  }
  const lastApplied = known.filter((name) => applied.has(name)).pop();
  const skipped = unapplied.filter((name) => lastApplied !== undefined && name < lastApplied);
  if (unknown.length === 0 && skipped.length === 0) return undefined;
  return {
    results: [],
    error: new MigrationsDivergedError(table, unknown, unknown.length > 0 ? unapplied : skipped, newestKnown),
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : error === undefined ? '' : String(error);
}

/** `runMigrations`, throwing the failed migration's error. */
export async function migrateOrThrow(
  db: Kysely<any>,
  migrations: Readonly<Record<string, Migration>>,
  table: string,
): Promise<MigrationRun> {
  const result = await runMigrations(db, migrations, table);
  if (result.error !== undefined) throw result.error;
  return result;
}
