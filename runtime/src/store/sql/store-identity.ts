import type { Kysely } from 'kysely';
import { StoreIdMismatchError } from '../../errors.js';
import { SqlTable } from './sql-tables.js';
import { isMissingStoreTable, storeFailureReason } from './store-errors.js';

/**
 * The id a SQL store opens under, read once when it opens (one query): the id its database keeps
 * (migration 0005, `eventsmith_store_identity`), so that a database copied, renamed or restored
 * under another name keeps the id its checkpoints and dead letters carry. Where the database keeps
 * none the store can read (0005 has not run, as with `checkMigrated: false`, or its role may not
 * read the table), the `storeId` option, else the id derived from the name, as before 0005.
 * Throws {@link StoreIdMismatchError} when the option names another id than the database keeps.
 */
export async function openStoreId(
  db: Kysely<any>,
  options: { readonly storeId: string | undefined; readonly derived: string; readonly target: string },
): Promise<string> {
  const stored = await readStoredStoreId(db);
  if (stored === undefined) return options.storeId ?? options.derived;
  if (options.storeId !== undefined && options.storeId !== stored)
    throw new StoreIdMismatchError(options.target, options.storeId, stored);
  return stored;
}

async function readStoredStoreId(db: Kysely<any>): Promise<string | undefined> {
  try {
    const row = (await db.selectFrom(SqlTable.storeIdentity).select('store_id').executeTakeFirst()) as
      { store_id: string } | undefined;
    return row?.store_id;
  } catch (error) {
    if (isMissingStoreTable(error) || storeFailureReason(error, true) === 'permission') return undefined;
    throw error;
  }
}
