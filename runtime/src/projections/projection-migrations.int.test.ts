import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { migrateApp, type ProjectionTableMigration } from '../app/migrate-app.js';
import { SQL_TARGETS, type SqlTarget } from '../test-support/sql-targets.js';
import { migrateProjections } from './migrate-projections.js';

// The statements `eventsmith generate` writes when an indexed column is retyped: the index is
// dropped the portable way, `dropIndex(name).on(table)` (MySQL needs the table), then rebuilt.
const migrations: Record<string, ProjectionTableMigration> = {
  '0001_create_items': {
    async up(db) {
      await db.schema
        .createTable('items')
        .addColumn('id', 'varchar(36)', (col) => col.notNull())
        .addColumn('list_id', 'varchar(255)', (col) => col.notNull())
        .addPrimaryKeyConstraint('items_pkey', ['id'])
        .execute();
      await db.schema.createIndex('items_list_id_idx').on('items').columns(['list_id']).execute();
    },
    async down(db) {
      await db.schema.dropTable('items').ifExists().execute();
    },
  },
  '0002_alter_items': {
    rebuild: ['Items'],
    async up(db) {
      await db.schema.dropIndex('items_list_id_idx').on('items').execute();
      await db.schema.alterTable('items').dropColumn('list_id').execute();
      await db.schema
        .alterTable('items')
        .addColumn('list_id', 'varchar(36)', (col) => col.notNull().defaultTo(''))
        .execute();
      await db.schema.createIndex('items_list_id_idx').on('items').columns(['list_id']).execute();
    },
    async down(db) {
      await db.schema.dropIndex('items_list_id_idx').on('items').execute();
    },
  },
};

const first = { '0001_create_items': migrations['0001_create_items']! };

function suite(target: SqlTarget) {
  return () => {
    const withDb = async (fn: (db: Kysely<any>) => Promise<void>) => {
      const { db, close } = await target.open('es_audit_migrations');
      try {
        await fn(db);
      } finally {
        await close();
      }
    };

    it('migrateApp applies a migration that drops an index of a table with rows', async () => {
      await withDb(async (db) => {
        await migrateApp({ database: db, domains: [{ domain: 'Audit', projectionMigrations: first }] });
        await db.insertInto('items').values({ id: 'a', list_id: 'list-1' }).execute();
        const report = await migrateApp({
          database: db,
          domains: [{ domain: 'Audit', projectionMigrations: migrations }],
        });
        expect(report.steps.at(-1)).toMatchObject({ applied: ['0002_alter_items'], rebuild: ['Items'] });
        expect(await db.selectFrom('items').select(['id', 'list_id']).execute()).toEqual([{ id: 'a', list_id: '' }]);
      });
    });

    it('migrateProjections applies it too', async () => {
      await withDb(async (db) => {
        const result = await migrateProjections(db, migrations);
        expect(result.results?.map((r) => r.migrationName)).toEqual(['0001_create_items', '0002_alter_items']);
      });
    });
  };
}

for (const target of SQL_TARGETS) {
  const title = `generated projection migrations that drop an index on ${target.dialect}`;
  if (target.service) await describeWithService(target.service, title, suite(target));
  else describe(title, suite(target));
}
