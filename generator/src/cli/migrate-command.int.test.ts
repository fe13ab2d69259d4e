import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

// The need to rebuild outlives the run that applied the lossy migration: the database keeps a
// mark (eventsmith_pending_rebuilds) until a rebuild completes. On MariaDB, whose DDL commits by
// itself, a later migration that fails leaves the lossy one applied; on PostgreSQL the run's
// migrations roll back together, and the fixed run applies and rebuilds them.
const LATER_BROKEN = 'ES_PENDING_LATER_MIGRATION_BROKEN';

/** The lossy project, with a 0003 after the lossy 0002 that fails while LATER_BROKEN is set. */
async function projectWithLaterMigration(): Promise<{ config: string; remove(): Promise<void> }> {
  const project = await lossyBankProject('es-pending-project');
  const index = join(dirname(project.config), 'generated', 'projections', 'migrations', 'index.ts');
  const text = await readFile(index, 'utf8');
  const end = text.lastIndexOf('\n};');
  if (!text.includes('0002_recreate_account_summary') || end < 0) throw new Error(`unexpected ${index}:\n${text}`);
  const later = `  '0003_later': {\n    async up() {\n      if (process.env.${LATER_BROKEN}) throw new Error('0003_later is broken');\n    },\n  },`;
  await writeFile(index, `${text.slice(0, end)}\n${later}${text.slice(end)}`);
  return project;
}

const PENDING_TARGETS: readonly Target[] = TARGETS.map((t) => ({
  ...t,
  create: () => (t.service === 'postgres' ? freshPostgresDatabase('es_pending') : freshMysqlDatabase('es_pending')),
}));

for (const target of PENDING_TARGETS) {
  await describeWithService(target.service, `a pending rebuild outlives the migrate run on ${target.name}`, () => {
    let project: { config: string; remove(): Promise<void> };
    let database: { url: string; drop(): Promise<void> };
    const cli = (...argv: string[]) =>
      runCli(dirname(project.config), ...argv, '--db', database.url, '--config', project.config);
    const needsRebuild = async (): Promise<unknown> => {
      const result = await cli('subscriptions', 'status', '--format', 'json');
      expect(result.status).toBe(0);
      const rows = (JSON.parse(result.out) as { subscriptions: { name: string; needsRebuild: unknown }[] })
        .subscriptions;
      return rows.find((row) => row.name === 'AccountSummary')?.needsRebuild;
    };
    const summaries = async () => {
      const store = await target.open(database.url);
      try {
        return await accountSummaries(store.db);
      } finally {
        await store.close();
      }
    };
    beforeAll(async () => {
      project = await projectWithLaterMigration();
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
    afterEach(async () => {
      delete process.env[LATER_BROKEN];
      await database?.drop();
    });

    it('rebuilds, once a later migration that failed is fixed, the projection the lossy one emptied', async () => {
      process.env[LATER_BROKEN] = '1';
      const failed = await cli('migrate');
      expect(failed.status).toBe(1);
      expect(failed.err).toContain('0003_later is broken');
      if (target.service === 'mysql') {
        // 0002 stays applied (its DDL committed), its table empty, and the mark says so.
        expect(await summaries()).toEqual([]);
        expect(await needsRebuild()).toEqual({ migration: '0002_recreate_account_summary', since: expect.any(String) });
      }
      delete process.env[LATER_BROKEN];
      const fixed = await cli('migrate');
      expect(fixed.err).not.toContain('error');
      expect(fixed.status).toBe(0);
      expect(fixed.out).toContain('Rebuilt AccountSummary: 5 events replayed');
      expect(await summaries()).toEqual(ACCOUNT_SUMMARIES);
      expect(await needsRebuild()).toBeNull();
    }, 180_000);

    it('keeps the mark after --no-rebuild, shows it in status, and projections rebuild clears it', async () => {
      expect((await cli('migrate', '--no-rebuild')).status).toBe(0);
      expect(await summaries()).toEqual([]);
      expect(await needsRebuild()).toEqual({ migration: '0002_recreate_account_summary', since: expect.any(String) });
      expect((await cli('subscriptions', 'status')).out).toContain('AccountSummary needs a rebuild');
      const rebuilt = await cli('projections', 'rebuild', 'AccountSummary');
      expect(rebuilt.status).toBe(0);
      expect(await summaries()).toEqual(ACCOUNT_SUMMARIES);
      expect(await needsRebuild()).toBeNull();
      expect((await cli('migrate')).out).not.toContain('Rebuilt');
    }, 180_000);
  });
}
