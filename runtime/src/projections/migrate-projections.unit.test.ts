import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type Migration } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateProjections, PROJECTION_MIGRATION_TABLE } from './migrate-projections.js';

const create = (table: string): Migration => ({
  up: async (db) => {
    await db.schema
      .createTable(table)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .execute();
  },
});

describe('migrateProjections', () => {
  let db: Kysely<any> | undefined;
  afterEach(async () => db?.destroy());

  const tables = async (k: Kysely<any>) =>
    (
      await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(k)
    ).rows.map((r) => r.name);

  it('applies each migration once, recording it in its table', async () => {
    db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    const first = await migrateProjections(db, { '0001_a': create('a') });
    const again = await migrateProjections(db, { '0001_a': create('a') });
    expect(first.results?.map((r) => r.migrationName)).toEqual(['0001_a']);
    expect(again.results).toEqual([]);
    expect(await tables(db)).toContain(PROJECTION_MIGRATION_TABLE);
  });

  it('keeps two domains apart when each has its own migration table', async () => {
    db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await migrateProjections(db, { '0001_bank': create('bank_t') }, { migrationTableName: 'mig_bank' });
    await migrateProjections(db, { '0001_shop': create('shop_t') }, { migrationTableName: 'mig_shop' });
    expect(await tables(db)).toEqual(expect.arrayContaining(['bank_t', 'shop_t', 'mig_bank', 'mig_shop']));
    // Sharing one table fails: the migrator finds a recorded migration it was not given.
    await expect(
      migrateProjections(db, { '0001_x': create('x_t') }, { migrationTableName: 'mig_bank' }),
    ).rejects.toThrow();
  });
});
