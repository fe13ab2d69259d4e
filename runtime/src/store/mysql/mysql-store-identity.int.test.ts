import { createConnection } from 'mysql2/promise';
import { afterEach } from 'vitest';
import { describeWithService, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { storeIdentityCases, type IdentityDatabases } from '../../test-support/store-identity-cases.js';
import { MysqlEventStore } from './mysql-event-store.js';

/** Databases named es_storeid_*, copied table by table (MariaDB cannot rename a database; a dump restored under another name is such a copy). */
function mysqlDatabases(): IdentityDatabases {
  const made: string[] = [];
  const urlOf = (name: string) => {
    const url = new URL(serviceUrl('mysql')!);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const admin = async <T>(fn: (run: (statement: string) => Promise<unknown>) => Promise<T>): Promise<T> => {
    const connection = await createConnection(serviceUrl('mysql')!);
    try {
      return await fn(async (statement) => (await connection.query(statement))[0]);
    } finally {
      await connection.end();
    }
  };
  const create = async () => {
    const name = uniqueName('es_storeid');
    await admin((run) => run(`create database ${name}`));
    made.push(name);
    return name;
  };
  return {
    dialect: 'mysql',
    create,
    copy: async (from) => {
      const to = await create();
      await admin(async (run) => {
        const tables = (await run(
          `select table_name as name from information_schema.tables where table_schema = '${from}'`,
        )) as { name: string }[];
        for (const { name } of tables) {
          await run(`create table ${to}.${name} like ${from}.${name}`);
          await run(`insert into ${to}.${name} select * from ${from}.${name}`);
        }
      });
      return to;
    },
    open: (name, options = {}) => MysqlEventStore.open({ url: urlOf(name), registry: counterRegistry, ...options }),
    derivedId: (name) => `mysql:${name}`,
    cleanup: () =>
      admin(async (run) => {
        for (const name of made.splice(0)) await run(`drop database if exists ${name}`);
      }),
  };
}

await describeWithService('mysql', 'MariaDB: the store id a database keeps', () => {
  let databases: IdentityDatabases | undefined;
  afterEach(async () => {
    await databases?.cleanup();
    databases = undefined;
  });

  storeIdentityCases(() => (databases = mysqlDatabases()));
});
