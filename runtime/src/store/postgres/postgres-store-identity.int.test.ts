import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { createNonOwnerRole } from '@eventsmith/test/support/postgres-role';
import { describeWithService, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { storeIdentityCases, type IdentityDatabases } from '../../test-support/store-identity-cases.js';
import { PostgresEventStore } from './postgres-event-store.js';

/** Databases named es_storeid_*, copied as `create database … template …` copies them (as a restore would). */
function postgresDatabases(): IdentityDatabases {
  const made: string[] = [];
  const urlOf = (name: string) => {
    const url = new URL(serviceUrl('postgres')!);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: serviceUrl('postgres')! });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const create = async (template?: string) => {
    const name = uniqueName('es_storeid');
    await admin(async (client) => {
      // A closed store's connections may take a moment to leave the template database.
      for (let attempt = 0; ; attempt++) {
        try {
          await client.query(`create database ${name}${template ? ` template ${template}` : ''}`);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== '55006' || attempt === 200) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
    made.push(name);
    return name;
  };
  return {
    dialect: 'postgres',
    create: () => create(),
    copy: (from) => create(from),
    open: (name, options = {}) =>
      PostgresEventStore.open({ url: urlOf(name), registry: counterRegistry, pool: { max: 3 }, ...options }),
    derivedId: (name) => `pg:${name}`,
    cleanup: () =>
      admin(async (client) => {
        for (const name of made.splice(0)) await client.query(`drop database if exists ${name} with (force)`);
      }),
  };
}

await describeWithService('postgres', 'PostgreSQL: the store id a database keeps', () => {
  let databases: IdentityDatabases | undefined;
  afterEach(async () => {
    await databases?.cleanup();
    databases = undefined;
  });

  storeIdentityCases(() => (databases = postgresDatabases()));

  it('opens a restored database under its kept id for a role granted only what it reads', async () => {
    const d = (databases = postgresDatabases());
    const live = await d.create();
    const owner = await d.open(live);
    const liveId = owner.storeId;
    await owner.close();
    const restored = await d.copy(live);
    const url = new URL(serviceUrl('postgres')!);
    url.pathname = `/${restored}`;
    const role = await createNonOwnerRole(url.toString(), 'es_storeid_ro', [
      'select on eventsmith_events, eventsmith_streams',
    ]);
    try {
      const readOnly = await PostgresEventStore.open({ url: role.url, registry: counterRegistry, migrate: false });
      try {
        expect(readOnly.storeId).toBe(liveId);
      } finally {
        await readOnly.close();
      }
    } finally {
      await d.cleanup();
      await role.drop();
    }
  });
});
