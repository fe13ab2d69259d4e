import { dirname } from 'node:path';
import type { EventStore, Kysely } from '@eventsmith/runtime';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  describeWithService,
  freshMysqlDatabase,
  freshPostgresDatabase,
  type ServiceName,
} from '@eventsmith/test/support/services';
import { createBankRegistry } from '../../../generated/bank/index.js';
import {
  ACCOUNT_SUMMARIES,
  accountSummaries,
  lossyBankProject,
  seedBankAccounts,
} from './test-support/lossy-bank-project.js';
import { runCli } from './test-support/run-cli.js';

// `eventsmith migrate` rebuilds the projection a migration it applied emptied, on the server
// databases too (SQLite, --no-rebuild and a failed rebuild: migrate-command.e2e.test.ts).
interface Target {
  readonly name: string;
  readonly service: ServiceName;
  create(): Promise<{ url: string; drop(): Promise<void> }>;
  open(url: string): Promise<EventStore & { db: Kysely<any> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'PostgreSQL',
    service: 'postgres',
    create: () => freshPostgresDatabase('es_rebuild'),
    async open(url) {
      const { PostgresEventStore } = await import('@eventsmith/runtime/postgres');
      return PostgresEventStore.open({ url, registry: createBankRegistry() });
    },
  },
  {
    name: 'MariaDB',
    service: 'mysql',
    create: () => freshMysqlDatabase('es_rebuild'),
    async open(url) {
      const { MysqlEventStore } = await import('@eventsmith/runtime/mysql');
      return MysqlEventStore.open({ url, registry: createBankRegistry() });
    },
  },
];

for (const target of TARGETS) {
  await describeWithService(
    target.service,
    `eventsmith migrate rebuilds an emptied projection on ${target.name}`,
    () => {
      let project: { config: string; remove(): Promise<void> };
      let database: { url: string; drop(): Promise<void> };
      beforeAll(async () => {
        project = await lossyBankProject('es-rebuild-project');
      }, 240_000);
      afterAll(async () => project?.remove());
      beforeEach(async () => {
        database = await target.create();
        const store = await target.open(database.url);
        try {
          await seedBankAccounts(store);
        } finally {
          await store.close();
        }
      }, 120_000);
      afterEach(async () => database?.drop());

      it('applies the migration, rebuilds the rows from the events, and a second run rebuilds nothing', async () => {
        const result = await runCli(
          dirname(project.config),
          'migrate',
          '--db',
          database.url,
          '--config',
          project.config,
        );
        expect(result.err).not.toContain('error');
        expect(result.status).toBe(0);
        expect(result.out).toContain('generated: applied 0002_recreate_account_summary.');
        expect(result.out).toContain('Rebuilt AccountSummary: 5 events replayed');
        const again = await runCli(
          dirname(project.config),
          'migrate',
          '--db',
          database.url,
          '--config',
          project.config,
        );
        expect(again.status).toBe(0);
        expect(again.out).not.toContain('Rebuilt');
        const store = await target.open(database.url);
        try {
          expect(await accountSummaries(store.db)).toEqual(ACCOUNT_SUMMARIES);
        } finally {
          await store.close();
        }
      }, 120_000);
    },
  );
}
