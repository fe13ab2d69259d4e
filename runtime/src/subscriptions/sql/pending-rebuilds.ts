import type { Kysely } from 'kysely';
import { detectDialect, type SqlDialectName } from '../../store/sql/sql-dialect.js';
import { SqlTable } from '../../store/sql/sql-tables.js';
import { tableExists } from '../../store/sql/table-exists.js';

/** A projection whose table a projection migration emptied or reset, not rebuilt since. */
export interface PendingRebuild {
  readonly projection: string;
  /** The (last) migration that emptied or reset its table. */
  readonly migration: string;
  /** When that migration marked it, epoch milliseconds. */
  readonly markedAt: number;
}

/**
 * Marks projections as needing a rebuild, in `db` (pass the migration's transaction, so the mark
 * commits or rolls back with it); not those without a checkpoint, which replay from the start anyway. Kept until a rebuild of the projection completes
 * (`rebuildProjection` clears it in its swap). One mark per projection, not per tenant: a rebuild
 * replaces the whole table. Needs subscription migration `0003-pending-rebuilds`.
 */
export async function markPendingRebuilds(
  db: Kysely<any>,
  projections: readonly string[],
  migration: string,
  now: number = Date.now(),
): Promise<void> {
  const dialect = detectDialect(db);
  for (const projection of projections) {
    // A projection without a checkpoint has written no row yet (a new database runs every
    // migration at once): it replays from the start anyway, so it needs no rebuild.
    if (!(await hasCheckpoint(db, projection))) continue;
    const row = { projection, migration, marked_at: now };
    const insert = db.insertInto(SqlTable.pendingRebuilds).values(row);
    // An upsert, never delete-then-insert: on MariaDB each statement commits on its own.
    await (
      dialect === 'mysql'
        ? insert.onDuplicateKeyUpdate({ migration, marked_at: now })
        : insert.onConflict((c) => c.column('projection').doUpdateSet({ migration, marked_at: now }))
    ).execute();
  }
}

/** Whether the subscription has a checkpoint in any scope: it has started, and written rows. */
export async function hasCheckpoint(db: Kysely<any>, name: string): Promise<boolean> {
  const row = await db
    .selectFrom(SqlTable.checkpoints)
    .select('name')
    .where('name', '=', name)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Clears a projection's mark (in the rebuild's swap transaction when the dialect has one). */
export async function clearPendingRebuild(db: Kysely<any>, projection: string): Promise<void> {
  await db.deleteFrom(SqlTable.pendingRebuilds).where('projection', '=', projection).execute();
}

/**
 * The projections marked as needing a rebuild, by name. None when the table does not exist yet
 * (subscription tables not migrated to `0003-pending-rebuilds`).
 *
 * @example
 * ```ts
 * for (const { projection, migration } of await listPendingRebuilds(db))
 *   console.warn(`${projection} needs a rebuild since ${migration}`);
 * ```
 */
export async function listPendingRebuilds(db: Kysely<any>): Promise<PendingRebuild[]> {
  if (!(await pendingRebuildTableExists(db))) return [];
  const rows = (await db
    .selectFrom(SqlTable.pendingRebuilds)
    .select(['projection', 'migration', 'marked_at'])
    .orderBy('projection')
    .execute()) as { projection: string; migration: string; marked_at: number | string }[];
  return rows.map((r) => ({ projection: r.projection, migration: r.migration, markedAt: Number(r.marked_at) }));
}

/** Whether the marks table exists, asked without an error (which would abort a PostgreSQL transaction). */
export async function pendingRebuildTableExists(
  db: Kysely<any>,
  dialect: SqlDialectName = detectDialect(db),
): Promise<boolean> {
  return tableExists(db, SqlTable.pendingRebuilds, dialect);
}
