import pg from 'pg';
import { expect, it } from 'vitest';
import { findSecret } from '@eventsmith/test/support/find-secret';
import { describeWithService, freshPostgresDatabase, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { EventStoreUnavailableError, InvalidArgumentError } from '../../errors.js';
import { conformanceRegistry } from '../../testing/conformance.js';
import { createPostgresDatabase } from './postgres-dialect.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { expectNotMigratedRefused } from '../../test-support/not-migrated-checks.js';

const registry = conformanceRegistry;

await describeWithService('postgres', 'PostgresEventStore connection errors', () => {
  it('refuses a URL whose password is not URL-encoded without carrying the password anywhere', async () => {
    for (const password of ['pa#ss-w0rd-1', 'pa/ss?w0rd-2', 'p@ss:w0rd#3']) {
      const url = `postgres://app:${password}@127.0.0.1:5432/app`;
      const thrown = (() => {
        try {
          createPostgresDatabase({ url });
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as Error).message).toMatch(/percent-encode/);
      expect(findSecret(thrown, password)).toEqual([]);
      const opened = await PostgresEventStore.open({ url, registry }).catch((e: unknown) => e);
      expect(opened).toBeInstanceOf(InvalidArgumentError);
      expect(findSecret(opened, password)).toEqual([]);
    }
  });

  it('says the database does not exist, naming the target, with the cause attached and no password', async () => {
    const { url, drop } = await freshPostgresDatabase();
    await drop();
    const withPassword = url.replace('postgres://postgres@', 'postgres://postgres:Secr3t-Pw@');
    const error = await PostgresEventStore.open({ url: withPassword, registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    const unavailable = error as EventStoreUnavailableError;
    expect(unavailable.reason).toBe('missing-database');
    expect(unavailable.retryable).toBe(false);
    expect(unavailable.message).toContain(new URL(url).pathname.slice(1));
    expect(unavailable.message).toMatch(/no such database/);
    expect(unavailable.cause).toMatchObject({ code: '3D000' });
    expect(findSecret(error, 'Secr3t-Pw')).toEqual([]);
  });

  it('says the login was refused for a role that does not exist', async () => {
    const role = uniqueName('nobody');
    const url = new URL(serviceUrl('postgres')!);
    url.username = role;
    url.password = 'Secr3t-Pw';
    const error = await PostgresEventStore.open({ url: url.toString(), registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect(error).toMatchObject({
      reason: 'authentication',
      target: `postgres://${role}:***@${url.host}${url.pathname}`,
    });
    expect((error as Error).message).toMatch(/refused the login.*user name and password/);
    expect((error as Error).cause).toMatchObject({ code: '28000' });
    expect(findSecret(error, 'Secr3t-Pw')).toEqual([]);
  });

  it('says access was refused to a role that may not connect to the database', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const role = uniqueName('no_connect');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`create role ${role} login`);
      await admin.query(`revoke connect on database ${new URL(url).pathname.slice(1)} from public`);
      const asRole = new URL(url);
      asRole.username = role;
      const error = await PostgresEventStore.open({ url: asRole.toString(), registry }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ reason: 'permission', retryable: false });
      expect((error as Error).message).toMatch(/refused access.*Grant the user/);
      expect((error as Error).cause).toMatchObject({ code: '42501' });
    } finally {
      await admin.end();
      await drop();
      const cleanup = new pg.Client({ connectionString: serviceUrl('postgres')! });
      await cleanup.connect();
      await cleanup.query(`drop role if exists ${role}`);
      await cleanup.end();
    }
  });

  it('still reports an unreachable server as unreachable and retryable', async () => {
    const error = await PostgresEventStore.open({ url: 'postgres://app:Secr3t-Pw@127.0.0.1:1/app', registry }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ reason: 'unreachable', retryable: true, code: 'STORE.UNAVAILABLE' });
    expect(findSecret(error, 'Secr3t-Pw')).toEqual([]);
  });

  it('refuses to open with migrate: false a database never migrated, or migrated by an older eventsmith, saying to run eventsmith migrate', async () => {
    const { url, drop } = await freshPostgresDatabase();
    try {
      await expectNotMigratedRefused({
        url,
        dialect: 'postgres',
        open: (migrate) => PostgresEventStore.open({ url, registry, migrate }),
        database: () => createPostgresDatabase({ url }).db,
        behind: /missing migrations 0003_snapshot_fingerprints, 0004_tenant_type_feed_index, 0005_store_identity\b/,
      });
    } finally {
      await drop();
    }
  });

  it('says the server does not accept SSL when the URL asks for it, whether or not the store migrates on open', async () => {
    const { url, drop } = await freshPostgresDatabase();
    try {
      for (const [sslmode, migrate] of [
        ['require', true],
        ['verify-full', false],
      ] as const) {
        const withSsl = new URL(url);
        withSsl.password = 'Secr3t-Pw';
        withSsl.searchParams.set('sslmode', sslmode);
        const error = await PostgresEventStore.open({ url: withSsl.toString(), registry, migrate }).catch(
          (e: unknown) => e,
        );
        expect(error, sslmode).toBeInstanceOf(EventStoreUnavailableError);
        expect(error).toMatchObject({ reason: 'ssl', retryable: false, code: 'STORE.UNAVAILABLE' });
        expect((error as Error).message).toMatch(/SSL connection.*remove sslmode from the URL.*or enable SSL/);
        expect((error as Error).message).toMatch(/The server does not support SSL connections/);
        expect(findSecret(error, 'Secr3t-Pw')).toEqual([]);
      }
    } finally {
      await drop();
    }
  });
});
