import pg from 'pg';
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
