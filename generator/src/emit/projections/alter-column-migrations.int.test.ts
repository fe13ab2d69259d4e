import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import {
  alterProjectionColumn,
  migrateProjections,
  PROJECTION_MIGRATION_TABLE,
  type ProjectionTableMigration,
} from '@eventsmith/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeWithService,
  freshMysqlDatabase,
  freshPostgresDatabase,
  type ServiceName,
} from '@eventsmith/test/support/services';
import { main } from '../../cli/main.js';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');

// The bank's AccountSummary as its team changes it, one `eventsmith generate` per step: a default
// (deposit_count 0 → 1), NOT NULL → nullable (owner_name), nullable → NOT NULL with a default
// (closed_at). Each migration must keep the values rows hold.
const STEPS: readonly { readonly from: string; readonly to: string; readonly migration: string }[] = [
  {
    from: 'deposit_count: { type: integer, default: 0 }',
    to: 'deposit_count: { type: integer, default: 1 }',
    migration: '0002_alter_account_summary',
  },
  { from: 'owner_name: string', to: 'owner_name: string?', migration: '0003_alter_account_summary' },
  {
    from: 'closed_at: datetime?',
    to: 'closed_at: { type: datetime, default: "1970-01-01T00:00:00.000Z" }',
    migration: '0004_alter_account_summary',
  },
];

interface Project {
  readonly migrations: Readonly<Record<string, ProjectionTableMigration>>;
  /** What each `generate` printed. */
  readonly printed: readonly string[];
  remove(): Promise<void>;
}

async function changedBankProject(): Promise<Project> {
  await mkdir(join(REPO, 'tmp'), { recursive: true });
  const project = await mkdtemp(join(REPO, 'tmp', 'es-f10-alter-'));
  await cp(join(REPO, 'examples', 'bank', 'domain'), join(project, 'domain'), { recursive: true });
  await cp(join(REPO, 'generated', 'bank'), join(project, 'generated'), { recursive: true });
  const config = join(project, 'eventsmith.config.yaml');
  await writeFile(config, 'domains:\n  - input: domain\n    output: generated\n    userDir: src\n');
  const yaml = join(project, 'domain', 'account-summary.yaml');
  const printed: string[] = [];
  for (const step of STEPS) {
    const text = await readFile(yaml, 'utf8');
    if (!text.includes(step.from)) throw new Error(`account-summary.yaml has no "${step.from}"`);
    await writeFile(yaml, text.replace(step.from, step.to));
    let out = '';
    const status = await main(['generate', '--config', config], {
      cwd: project,
      out: (t) => void (out += t),
      err: (t) => void (out += t),
    });
    if (status !== 0 || !out.includes(`${step.migration}.ts`))
      throw new Error(`generate did not write ${step.migration} (status ${status}):\n${out}`);
    printed.push(out);
  }
  const index = join(project, 'generated', 'projections', 'migrations', 'index.ts');
  const { projectionMigrations } = (await import(pathToFileURL(index).href)) as {
    projectionMigrations: Record<string, ProjectionTableMigration>;
  };
  return {
    migrations: projectionMigrations,
    printed,
    remove: () => rm(project, { recursive: true, force: true }),
  };
}

let shared: Promise<Project> | undefined;
const project = () => (shared ??= changedBankProject());
afterAll(async () => (await shared)?.remove());

interface Target {
  readonly name: string;
  readonly service?: ServiceName;
  /** `statements`: the SQL the connection ran (kept on SQLite only). */
  open(): Promise<{ db: Kysely<any>; close(): Promise<void>; statements?: string[] }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'es-f10-'));
      const statements: string[] = [];
      const db = new Kysely<any>({
        dialect: new SqliteDialect({ database: new BetterSqlite3(join(dir, 'app.db')) }),
        log: (event) => void statements.push(event.query.sql),
      });
      return {
        db,
        statements,
        close: async () => {
          await db.destroy();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    service: 'postgres',
    async open() {
      const { url, drop } = await freshPostgresDatabase('es_f10_alter');
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      pool.on('error', () => undefined);
      const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
      return {
        db,
        close: async () => {
          await db.destroy();
          await drop();
        },
      };
    },
  },
  {
    name: 'MariaDB',
    service: 'mysql',
    async open() {
      const { url, drop } = await freshMysqlDatabase('es_f10_alter');
      const db = new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: url, connectionLimit: 2 }) }) });
      return {
        db,
        close: async () => {
          await db.destroy();
          await drop();
        },
      };
    },
  },
];

const row = (id: string, more: Record<string, unknown> = {}) => ({
  account_id: id,
  owner_name: `Owner ${id}`,
  currency: 'EUR',
  status: 'open',
  opened_at: '2026-01-01T00:00:00.000Z',
  last_version: 1,
  ...more,
});

async function rows(db: Kysely<any>): Promise<unknown[]> {
  const all = await db
    .selectFrom('account_summary')
    .select(['account_id', 'owner_name', 'deposit_count', 'closed_at'])
    .orderBy('account_id')
    .execute();
  return all.map((r) => ({ ...r, deposit_count: Number(r.deposit_count) }));
}

function suite(target: Target) {
  return () => {
    let migrations: Readonly<Record<string, ProjectionTableMigration>>;
    beforeAll(async () => {
      migrations = (await project()).migrations;
    }, 240_000);
    const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last));

    it('changes a default and nullability in place: rows keep their values, new rows get the new default', async () => {
      const { db, close } = await target.open();
      try {
        await migrateProjections(db, upTo('0001_create_account_summary'));
        // One row per insert: a multi-row insert fills a missing column with NULL on SQLite.
        await db
          .insertInto('account_summary')
          .values(row('a', { deposit_count: 7, closed_at: '2026-02-01T00:00:00.000Z' }))
          .execute();
        await db.insertInto('account_summary').values(row('b')).execute();

        await migrateProjections(db, upTo('0002_alter_account_summary'));
        await db.insertInto('account_summary').values(row('c')).execute();
        expect(await rows(db)).toEqual([
          { account_id: 'a', owner_name: 'Owner a', deposit_count: 7, closed_at: '2026-02-01T00:00:00.000Z' },
          { account_id: 'b', owner_name: 'Owner b', deposit_count: 0, closed_at: null },
          { account_id: 'c', owner_name: 'Owner c', deposit_count: 1, closed_at: null },
        ]);

        await migrateProjections(db, upTo('0003_alter_account_summary'));
        await db
          .insertInto('account_summary')
          .values(row('d', { owner_name: null }))
          .execute();
        expect(await rows(db)).toEqual([
          { account_id: 'a', owner_name: 'Owner a', deposit_count: 7, closed_at: '2026-02-01T00:00:00.000Z' },
          { account_id: 'b', owner_name: 'Owner b', deposit_count: 0, closed_at: null },
          { account_id: 'c', owner_name: 'Owner c', deposit_count: 1, closed_at: null },
          { account_id: 'd', owner_name: null, deposit_count: 1, closed_at: null },
        ]);

        await migrateProjections(db, migrations);
        await db.insertInto('account_summary').values(row('e')).execute();
        const epoch = '1970-01-01T00:00:00.000Z';
        expect(await rows(db)).toEqual([
          { account_id: 'a', owner_name: 'Owner a', deposit_count: 7, closed_at: '2026-02-01T00:00:00.000Z' },
          { account_id: 'b', owner_name: 'Owner b', deposit_count: 0, closed_at: epoch },
          { account_id: 'c', owner_name: 'Owner c', deposit_count: 1, closed_at: epoch },
          { account_id: 'd', owner_name: null, deposit_count: 1, closed_at: epoch },
          { account_id: 'e', owner_name: 'Owner e', deposit_count: 1, closed_at: epoch },
        ]);
        // closed_at is NOT NULL now, and the indexes are still there.
        await expect(
          db
            .insertInto('account_summary')
            .values(row('f', { closed_at: null }))
            .execute(),
        ).rejects.toThrow();
        await expect(
          db.schema.createIndex('account_summary_owner_name_idx').on('account_summary').column('owner_name').execute(),
        ).rejects.toThrow();
      } finally {
        await close();
      }
    }, 120_000);

    it('rolls back to the first shape keeping the values', async () => {
      const { db, close } = await target.open();
      try {
        await migrateProjections(db, migrations);
        await db
          .insertInto('account_summary')
          .values(row('a', { deposit_count: 3, owner_name: null }))
          .execute();
        const down = new Migrator({
          db,
          provider: { getMigrations: async () => migrations },
          migrationTableName: PROJECTION_MIGRATION_TABLE,
        });
        const result = await down.migrateTo('0001_create_account_summary');
        expect(result.error).toBeUndefined();
        // owner_name is NOT NULL again: the NULL became the zero value; closed_at nullable again.
        await db.insertInto('account_summary').values(row('b')).execute();
        expect(await rows(db)).toEqual([
          { account_id: 'a', owner_name: '', deposit_count: 3, closed_at: '1970-01-01T00:00:00.000Z' },
          { account_id: 'b', owner_name: 'Owner b', deposit_count: 0, closed_at: null },
        ]);
      } finally {
        await close();
      }
    }, 120_000);

    it('alters several columns in one call: rows keep their values; SQLite copies the table once', async () => {
      const { db, close, statements } = await target.open();
      try {
        await migrateProjections(db, upTo('0001_create_account_summary'));
        await db
          .insertInto('account_summary')
          .values(row('a', { deposit_count: 7 }))
          .execute();
        await db.insertInto('account_summary').values(row('b')).execute();
        statements?.splice(0);
        await alterProjectionColumn(db, 'account_summary', [
          { name: 'deposit_count', type: 'integer', notNull: true, default: 1 },
          { name: 'owner_name', type: 'varchar(255)', notNull: false },
        ]);
        if (statements) expect(statements.filter((q) => /^create table/i.test(q))).toHaveLength(1);
        await db
          .insertInto('account_summary')
          .values(row('c', { owner_name: null }))
          .execute();
        expect(await rows(db)).toEqual([
          { account_id: 'a', owner_name: 'Owner a', deposit_count: 7, closed_at: null },
          { account_id: 'b', owner_name: 'Owner b', deposit_count: 0, closed_at: null },
          { account_id: 'c', owner_name: null, deposit_count: 1, closed_at: null },
        ]);
        // The index on owner_name is still there.
        await expect(
          db.schema.createIndex('account_summary_owner_name_idx').on('account_summary').column('owner_name').execute(),
        ).rejects.toThrow();
      } finally {
        await close();
      }
    }, 120_000);

    it('generate names the change: no "retypes", no rebuild', async () => {
      const { printed } = await project();
      for (const out of printed) {
        expect(out).not.toContain('retypes');
        expect(out).not.toContain('rebuild');
      }
      expect(migrations['0002_alter_account_summary']!.rebuild).toBeUndefined();
    });
  };
}

for (const target of TARGETS) {
  const title = `generated migrations that change a column's default or nullability on ${target.name}`;
  if (target.service) await describeWithService(target.service, title, suite(target));
  else describe(title, suite(target));
}
