import pg from 'pg';
import { sql, type Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { findSecret } from '@eventsmith/test/support/find-secret';
import { describeWithService, freshPostgresDatabase, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { conformanceRegistry } from '../testing/conformance.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { AppMigrationError, migrateApp } from './migrate-app.js';

await describeWithService('postgres', 'migrateApp on a database that refuses it', () => {
  it('says a role that may not create the tables was refused access, with the driver code and no password', async () => {
    const { url, drop } = await freshPostgresDatabase('lows_migrate');
    const role = uniqueName('lows_reader');
    const password = 'Zq7-lows-Pw';
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // PostgreSQL 15 and later: only the owner may create in schema public.
      await admin.query(`create role ${role} login password '${password}'`);
      await admin.query(`revoke create on schema public from public`);
      const asRole = new URL(url);
      asRole.username = role;
      asRole.password = password;
      const store = await PostgresEventStore.open({
        url: asRole.toString(),
        registry: conformanceRegistry,
        migrate: false,
        checkMigrated: false,
      });
      try {
        const error = await migrateApp({ store, domains: [] }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AppMigrationError);
        expect(error).toMatchObject({ code: 'APP.MIGRATION_FAILED', reason: 'permission' });
        expect((error as Error).message).toMatch(
          /^Migrating the event store tables failed( at \w+)?: the database server refused access\. Grant the user .*\(permission denied for schema public\)\. Nothing was applied before it\.$/,
        );
        expect((error as Error).cause).toMatchObject({ code: '42501' });
        expect(findSecret(error, password)).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await admin.end();
      await drop();
      const cleanup = new pg.Client({ connectionString: serviceUrl('postgres')! });
      await cleanup.connect();
      await cleanup.query(`drop role if exists ${role}`);
      await cleanup.end();
    }
  });
});

await describeWithService('postgres', 'migrateApp when a later projection migration fails', () => {
  it('reports none of the step as applied: PostgreSQL rolls back the whole step, the earlier migration too', async () => {
    const { url, drop } = await freshPostgresDatabase('es_migrate_rollback');
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry });
    try {
      const domains = [
        {
          domain: 'Rollback',
          projectionMigrations: {
            '0001_orders': {
              up: (db: Kysely<any>) => db.schema.createTable('rollback_orders').addColumn('id', 'text').execute(),
            },
            '0002_broken': {
              up: () => Promise.reject(new Error('the later migration is broken')),
            },
          },
        },
      ];
      const error = await migrateApp({ store, domains }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppMigrationError);
      const { report, failedMigration } = error as AppMigrationError;
      expect(failedMigration).toBe('0002_broken');
      expect(report.steps.find((s) => s.domain === 'Rollback')?.applied).toEqual([]);
      expect((error as Error).message).not.toContain('0001_orders');
      const { rows } = await sql<{ name: string | null }>`select to_regclass('rollback_orders')::text as name`.execute(
        store.db,
      );
      expect(rows[0]?.name).toBeNull();
    } finally {
      await store.close();
      await drop();
    }
  });
});
