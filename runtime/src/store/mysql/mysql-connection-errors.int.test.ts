import mysql from 'mysql2/promise';
import { expect, it } from 'vitest';
import { findSecret } from '@eventsmith/test/support/find-secret';
import { describeWithService, freshMysqlDatabase, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { EventStoreUnavailableError, InvalidArgumentError } from '../../errors.js';
import { conformanceRegistry } from '../../testing/conformance.js';
import { createMysqlDatabase } from './mysql-dialect.js';
import { MysqlEventStore } from './mysql-event-store.js';
import { expectNotMigratedRefused } from '../../test-support/not-migrated-checks.js';

const registry = conformanceRegistry;

await describeWithService('mysql', 'MysqlEventStore connection errors', () => {
  it('refuses a URL whose password is not URL-encoded without carrying the password anywhere', async () => {
    for (const password of ['pa#ss-w0rd-1', 'pa/ss?w0rd-2', 'p@ss:w0rd#3']) {
      const url = `mysql://app:${password}@127.0.0.1:3306/app`;
      const thrown = (() => {
        try {
          createMysqlDatabase({ url });
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect(findSecret(thrown, password)).toEqual([]);
      const opened = await MysqlEventStore.open({ url, registry }).catch((e: unknown) => e);
      expect(opened).toBeInstanceOf(InvalidArgumentError);
      expect(findSecret(opened, password)).toEqual([]);
    }
  });

  it('says the database does not exist, naming the target, with the cause attached and no password', async () => {
    const { url, drop } = await freshMysqlDatabase();
    await drop();
    const error = await MysqlEventStore.open({ url, registry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    const unavailable = error as EventStoreUnavailableError;
    expect(unavailable.reason).toBe('missing-database');
    expect(unavailable.message).toContain(new URL(url).pathname.slice(1));
    expect(unavailable.cause).toMatchObject({ errno: 1049 });
  });

  it('says the login was refused for a wrong password or an unknown user, without the password', async () => {
    for (const user of [new URL(serviceUrl('mysql')!).username || 'root', uniqueName('nobody')]) {
      const url = new URL(serviceUrl('mysql')!);
      url.username = user;
      url.password = 'Wr0ng-Secr3t';
      const error = await MysqlEventStore.open({ url: url.toString(), registry }).catch((e: unknown) => e);
      expect(error, user).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ reason: 'authentication', retryable: false });
      expect((error as Error).message).toContain(`mysql://${user}:***@`);
      // 1045 (wrong password), or 1698 which MariaDB sometimes answers for an unknown user.
      expect([1045, 1698]).toContain(((error as Error).cause as { errno?: number }).errno);
      expect(findSecret(error, 'Wr0ng-Secr3t')).toEqual([]);
    }
  });

  it('says access was refused to a user without rights on the database', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const user = uniqueName('no_rights');
    const admin = await mysql.createConnection(serviceUrl('mysql')!);
    try {
      await admin.query(`create user '${user}'@'%' identified by 'Us3r-Secr3t'`);
      const asUser = new URL(url);
      asUser.username = user;
      asUser.password = 'Us3r-Secr3t';
      const error = await MysqlEventStore.open({ url: asUser.toString(), registry }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ reason: 'permission', retryable: false });
      expect((error as Error).cause).toMatchObject({ errno: 1044 });
      expect(findSecret(error, 'Us3r-Secr3t')).toEqual([]);
    } finally {
      await admin.query(`drop user if exists '${user}'@'%'`);
      await admin.end();
      await drop();
    }
  });

  it('refuses to open with migrate: false a database never migrated, or migrated by an older eventsmith, saying to run eventsmith migrate', async () => {
    const { url, drop } = await freshMysqlDatabase();
    try {
      await expectNotMigratedRefused({
        url,
        dialect: 'mysql',
        open: (migrate) => MysqlEventStore.open({ url, registry, migrate }),
        database: () => createMysqlDatabase({ url }).db,
        behind: /missing migrations 0003_snapshot_fingerprints, 0005_store_identity\b/,
      });
    } finally {
      await drop();
    }
  });
});
