/**
 * The generated migrations and projection handlers on every SQL dialect: `eventsmith migrate`
 * creates the store and projection tables, then the bank's AccountSummary and the shop's
 * StockLevel projections run through a store transaction and the rows hold exact values.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EventRegistry, type EventStore, type Kysely, type StoredEvent } from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { PostgresEventStore } from '@eventsmith/runtime/postgres';
import { MysqlEventStore } from '@eventsmith/runtime/mysql';
import { main } from '@eventsmith/generator';
import {
  AccountOpened,
  createBankProjections,
  createBankRegistry,
  MoneyDeposited,
  MoneyWithdrawn,
  type AccountSummaryTables,
} from '../../generated/bank/index.js';
import { describeWithService, freshMysqlDatabase, freshPostgresDatabase } from '../support/services.js';
import { REPO } from '../support/temp-project.js';

interface Target {
  readonly url: string;
  open(registry: EventRegistry): Promise<EventStore & { readonly db: unknown }>;
  drop(): Promise<void>;
}

const DIALECTS: { name: string; service?: 'postgres' | 'mysql'; target: () => Promise<Target> }[] = [
  {
    name: 'sqlite',
    target: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'eventsmith-sql-'));
      const file = join(dir, 'app.db');
      return {
        url: `sqlite:${file}`,
        open: (registry) => SqliteEventStore.open({ filename: file, registry }),
        drop: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    service: 'postgres',
    target: async () => {
      const db = await freshPostgresDatabase();
      return { url: db.url, open: (registry) => PostgresEventStore.open({ url: db.url, registry }), drop: db.drop };
    },
  },
  {
    name: 'mysql',
    service: 'mysql',
    target: async () => {
      const db = await freshMysqlDatabase();
      return { url: db.url, open: (registry) => MysqlEventStore.open({ url: db.url, registry }), drop: db.drop };
    },
  },
];

for (const dialect of DIALECTS) {
  const body = () => {
    it('migrates, projects exactly, and commits rows with the transaction', async () => {
      const target = await dialect.target();
      const config = join(REPO, 'tmp', 'fixtures', `sql-${dialect.name}-${process.pid}.yaml`);
      await mkdir(join(REPO, 'tmp', 'fixtures'), { recursive: true });
      await writeFile(
        config,
        'domains:\n  - input: ../../examples/bank/domain\n    output: ../../generated/bank\n    userDir: ../../examples/bank/src\n',
      );
      let out = '';
      let err = '';
      const status = await main(['migrate', '--db', target.url, '--config', config], {
        cwd: REPO,
        out: (t) => void (out += t),
        err: (t) => void (err += t),
      });
      await rm(config);
      expect(err).toBe('');
      expect(status).toBe(0);
      expect(out).toContain('applied 0001_create_account_summary');

      const store = await target.open(createBankRegistry());
      try {
        const at = { aggregateId: 'acc-1', aggregateType: 'BankAccount' };
        await store.appendToStream(
          'BankAccount-acc-1',
          [
            new AccountOpened(
              { ownerName: 'Ada', initialBalance: '100.10', currency: 'EUR' },
              { ...at, aggregateVersion: 1 },
            ),
            new MoneyDeposited({ amount: '0.20' }, { ...at, aggregateVersion: 2 }),
            new MoneyDeposited({ amount: '1234567.89' }, { ...at, aggregateVersion: 3 }),
            new MoneyWithdrawn({ amount: '0.05' }, { ...at, aggregateVersion: 4 }),
          ],
          { expectedVersion: 'no_stream' },
        );
        const [summary] = createBankProjections();
        await store.transaction(async (tx) => {
          for await (const stored of store.readAll({ eventTypes: summary!.eventTypes }))
            await summary!.handle(stored, { db: tx.sql as Kysely<any> });
        });
        const db = store.db as Kysely<AccountSummaryTables>;
        const row = await db.selectFrom('account_summary').selectAll().executeTakeFirstOrThrow();
        expect(Number(row.balance)).toBe(1234668.14);
        expect(String(row.balance)).toMatch(/^1234668\.14(0*)$/);
        expect(row).toMatchObject({
          account_id: 'acc-1',
          owner_name: 'Ada',
          currency: 'EUR',
          status: 'open',
          deposit_count: 2,
          withdrawal_count: 1,
          last_version: 4,
          closed_at: null,
        });
        expect(row.opened_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

        // Rows written through the transaction roll back with it.
        const deposits: StoredEvent[] = [];
        for await (const stored of store.readAll({ eventTypes: ['MoneyDeposited'] })) deposits.push(stored);
        await expect(
          store.transaction(async (tx) => {
            await summary!.handle(deposits[0]!, { db: tx.sql as Kysely<any> });
            const inside = await (tx.sql as Kysely<AccountSummaryTables>)
              .selectFrom('account_summary')
              .select('balance')
              .executeTakeFirstOrThrow();
            // SQLite has no exact decimal type: its NUMERIC column holds a double (documented).
            expect(Number(inside.balance)).toBeCloseTo(1234668.34, 6);
            throw new Error('crash before commit');
          }),
        ).rejects.toThrow('crash before commit');
        expect(
          Number((await db.selectFrom('account_summary').select('balance').executeTakeFirstOrThrow()).balance),
        ).toBe(1234668.14);
      } finally {
        await store.close();
        await target.drop();
      }
    }, 60_000);
  };
  if (dialect.service) await describeWithService(dialect.service, `generated projections on ${dialect.name}`, body);
  else (await import('vitest')).describe(`generated projections on ${dialect.name}`, body);
}
