import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defineEvent,
  EventRegistry,
  migrateSubscriptionTables,
  SqlCheckpointStore,
  type EventStore,
  type Kysely,
  z,
} from '@eventsmith/runtime';
import { collect } from '@eventsmith/runtime/testing';
import { afterEach, expect, it } from 'vitest';
import {
  describeWithService,
  freshMysqlDatabase,
  freshPostgresDatabase,
  type ServiceName,
} from '@eventsmith/test/support/services';
import { runCli } from './test-support/run-cli.js';

// `eventsmith store-id` on PostgreSQL and MariaDB (SQLite: store-id-command.e2e.test.ts): a rename
// with --rewrite-positions, after which the store opens with the new storeId option and reads on.
class Opened extends defineEvent({ type: 'Opened', schema: z.object({ label: z.string() }) }) {}
const registry = EventRegistry.create({ events: [Opened] });

type Store = EventStore & { readonly db: Kysely<any> };

const TARGETS: readonly {
  name: string;
  service: ServiceName;
  create(): Promise<{ url: string; drop(): Promise<void> }>;
  open(url: string, storeId?: string): Promise<Store>;
}[] = [
  {
    name: 'PostgreSQL',
    service: 'postgres',
    create: () => freshPostgresDatabase('es_storeid'),
    async open(url, storeId) {
      const { PostgresEventStore } = await import('@eventsmith/runtime/postgres');
      return PostgresEventStore.open({ url, registry, ...(storeId === undefined ? {} : { storeId }) });
    },
  },
  {
    name: 'MariaDB',
    service: 'mysql',
    create: () => freshMysqlDatabase('es_storeid'),
    async open(url, storeId) {
      const { MysqlEventStore } = await import('@eventsmith/runtime/mysql');
      return MysqlEventStore.open({ url, registry, ...(storeId === undefined ? {} : { storeId }) });
    },
  },
];

for (const target of TARGETS) {
  await describeWithService(target.service, `eventsmith store-id on ${target.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    it('renames the store with --rewrite-positions; the store then opens with the new id and reads on', async () => {
      const { url, drop } = await target.create();
      cleanups.push(drop);
      const cwd = await mkdtemp(join(tmpdir(), 'es-storeid-cli-'));
      cleanups.push(() => rm(cwd, { recursive: true, force: true }));
      const run = (...argv: string[]) => runCli(cwd, ...argv);

      const store = await target.open(url);
      const oldId = store.storeId;
      try {
        await migrateSubscriptionTables(store.db);
        for (const id of ['1', '2'])
          await store.appendToStream(`Counter-${id}`, [new Opened({ label: id })], { expectedVersion: 'no_stream' });
        const [first] = await collect(store.readAll({ limit: 1 }));
        await new SqlCheckpointStore(store.db).save('summary', first!.position);
      } finally {
        await store.close();
      }

      const shown = await run('store-id', '--db', url, '--format', 'json');
      expect(shown.status).toBe(0);
      expect(JSON.parse(shown.out)).toMatchObject({
        storeId: oldId,
        fromName: true,
        positions: [{ table: 'checkpoints', storeId: oldId, count: 1 }],
      });
      const refused = await run('store-id', 'set', 'shop-events', '--db', url);
      expect(refused.status).toBe(1);
      expect(refused.err).toContain('[STORE.ID_CHANGE_REFUSED]');
      const renamed = await run('store-id', 'set', 'shop-events', '--db', url, '--rewrite-positions');
      expect({ status: renamed.status, err: renamed.err }).toEqual({ status: 0, err: '' });
      expect(renamed.out).toContain('the positions of 1 checkpoint now carry it');

      const reopened = await target.open(url, 'shop-events');
      try {
        const after = await new SqlCheckpointStore(reopened.db).load('summary');
        expect(after?.storeId).toBe('shop-events');
        expect((await collect(reopened.readAll({ after }))).map((e) => e.streamId)).toEqual(['Counter-2']);
      } finally {
        await reopened.close();
      }
    });

    it('a database that is not there fails with a fix and the password redacted', async () => {
      const { url, drop } = await target.create();
      cleanups.push(drop);
      const missing = new URL(url);
      missing.password = 'sekrit-pass';
      missing.pathname = `${missing.pathname}_gone`;
      const result = await runCli(process.cwd(), 'store-id', 'set', 'shop-events', '--db', missing.toString());
      expect(result.status).toBe(1);
      expect(result.err).toContain('[OPS.CONNECT]');
      expect(result.err).not.toContain('sekrit-pass');
      expect(result.err).not.toContain('internal error');
    });
  });
}
