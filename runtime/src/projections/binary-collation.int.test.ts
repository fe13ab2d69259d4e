import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { migrateApp, type ProjectionTableMigration } from '../app/migrate-app.js';
import { openWithDefaultCollation, SQL_TARGETS, type SqlTarget } from '../test-support/sql-targets.js';
import { migrateProjections } from './migrate-projections.js';

// As `eventsmith generate` writes them: no collation named.
const migrations: Record<string, ProjectionTableMigration> = {
  '0001_create_accounts': {
    async up(db) {
      await db.schema
        .createTable('accounts')
        .addColumn('account_id', 'varchar(255)', (col) => col.notNull())
        .addColumn('owner', 'varchar(255)', (col) => col.notNull())
        .addPrimaryKeyConstraint('accounts_pkey', ['account_id'])
        .execute();
      await db.schema.createIndex('accounts_owner_idx').on('accounts').columns(['owner']).execute();
    },
  },
};

const ids = ['A1', 'a1', 'a1 '];

function suite(target: SqlTarget) {
  return () => {
    const withDb = async (fn: (db: Kysely<any>) => Promise<void>) => {
      const { db, close } = await openWithDefaultCollation(target, 'es_coll');
      try {
        await fn(db);
      } finally {
        await close();
      }
    };
    const expectRowsApart = async (db: Kysely<any>) => {
      for (const id of ids) await db.insertInto('accounts').values({ account_id: id, owner: id }).execute();
      const rows = await db.selectFrom('accounts').select('account_id').orderBy('account_id').execute();
      expect(rows.map((r) => r.account_id)).toEqual([...ids].sort());
      for (const id of ids) {
        const found = await db.selectFrom('accounts').select('owner').where('account_id', '=', id).execute();
        expect(found.map((r) => r.owner)).toEqual([id]);
      }
    };

    it('rows keyed by ids differing in case or a trailing space stay apart (migrateApp)', async () => {
      await withDb(async (db) => {
        await migrateApp({ database: db, domains: [{ domain: 'Bank', projectionMigrations: migrations }] });
        await expectRowsApart(db);
      });
    });

    it('rows keyed by ids differing in case or a trailing space stay apart (migrateProjections)', async () => {
      await withDb(async (db) => {
        await migrateProjections(db, migrations);
        await expectRowsApart(db);
      });
    });

    if (target.dialect === 'mysql')
      it('a migration that names its table collation keeps it', async () => {
        await withDb(async (db) => {
          await migrateProjections(db, {
            '0001_create_notes': {
              async up(db: Kysely<any>) {
                await db.schema
                  .createTable('notes')
                  .addColumn('id', 'varchar(36)', (col) => col.primaryKey())
                  .modifyEnd(sql`collate utf8mb4_unicode_ci`)
                  .execute();
              },
            },
          });
          const { rows } = await sql<{ collation: string }>`
            select table_collation as collation from information_schema.tables
            where table_schema = database() and table_name = 'notes'`.execute(db);
          expect(rows[0]?.collation).toBe('utf8mb4_unicode_ci');
        });
      });
  };
}

for (const target of SQL_TARGETS) {
  const title = `projection tables compare keys exactly on ${target.dialect}`;
  if (target.service) await describeWithService(target.service, title, suite(target));
  else describe(title, suite(target));
}
