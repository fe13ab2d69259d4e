import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  EventRegistry,
  migrateProjections,
  type Kysely,
  projectionMigrationTable,
  SqlLeaseLock,
  SqlMigrationTable,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { projectionMigrations as bankMigrations, createBankRegistry } from '../../../generated/bank/index.js';
import { main } from './main.js';
import {
  ACCOUNT_SUMMARIES,
  accountSummaries,
  lossyBankProject,
  seedBankAccounts,
} from './test-support/lossy-bank-project.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(REPO, 'eventsmith.config.yaml');

async function migrate(db: string): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(['migrate', '--db', `sqlite:${db}`, '--config', CONFIG], {
    cwd: REPO,
    out: (text) => void (out += text),
    err: (text) => void (err += text),
  });
  return { status, out, err };
}

async function tables(file: string): Promise<string[]> {
  const store = await SqliteEventStore.open({
    filename: file,
    registry: EventRegistry.create({ events: [] }),
    migrate: false,
  });
  try {
    const rows = await store.db.introspection.getTables({ withInternalKyselyTables: true });
    return rows.map((t) => t.name).sort();
  } finally {
    await store.close();
  }
}

describe('eventsmith migrate with the repository config (two domains, one database)', () => {
  let dir: string;
  let db: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-migrate-'));
    db = join(dir, 'app.db');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes the database from EVENTSMITH_DB when --db is not given, and --db over it', async () => {
    const run = async (...argv: string[]) => {
      let out = '';
      let err = '';
      const status = await main(['migrate', ...argv, '--config', CONFIG], {
        cwd: REPO,
        out: (text) => void (out += text),
        err: (text) => void (err += text),
      });
      return { status, out, err };
    };
    vi.stubEnv('EVENTSMITH_DB', `sqlite:${db}`);
    try {
      const fromEnvironment = await run();
      expect(fromEnvironment.err).toBe('');
      expect(fromEnvironment.status).toBe(0);
      expect(fromEnvironment.out).toContain(`tables are ready in ${db}.`);
      const other = join(dir, 'other.db');
      const fromFlag = await run('--db', `sqlite:${other}`);
      expect(fromFlag.out).toContain(`tables are ready in ${other}.`);
    } finally {
      vi.unstubAllEnvs();
    }
    const without = await run();
    expect(without.status).toBe(2);
    expect(without.err).toContain('needs --db <url>');
  });

  it('creates the event store, subscription, outbox and every domain’s projection tables, and says so', async () => {
    const first = await migrate(db);
    expect(first.err).toBe('');
    expect(first.status).toBe(0);
    expect(first.out.split('\n')).toEqual([
      'Event store tables: applied 0001_event_store, 0002_snapshot_tenants, 0003_snapshot_fingerprints, 0005_store_identity.',
      'Subscription and outbox tables: applied 0001-subscription-tables, 0002-tenants, 0003-pending-rebuilds, 0004-binary-collation.',
      'generated/bank: applied 0001_create_account_summary.',
      expect.stringMatching(/^generated\/shop: applied 0001_create_customer_stats, 0002_create_daily_revenue, /),
      `Event store, subscription and projection tables are ready in ${db}.`,
      '',
    ]);
    expect(await tables(db)).toEqual(
      expect.arrayContaining([
        'account_summary',
        'order_summaries',
        'eventsmith_events',
        'eventsmith_checkpoints',
        'eventsmith_dead_letters',
        'eventsmith_outbox',
        projectionMigrationTable('Bank'),
        projectionMigrationTable('Shop'),
      ]),
    );

    const again = await migrate(db);
    expect(again.status).toBe(0);
    expect(again.out).toContain('Event store tables: up to date.');
    expect(again.out).toContain('generated/bank: projection tables up to date.');
    expect(again.out).toContain('generated/shop: projection tables up to date.');
  }, 120_000);

  it('adopts projection migrations an older version recorded in the shared table, without running them again', async () => {
    const store = await SqliteEventStore.open({ filename: db, registry: EventRegistry.create({ events: [] }) });
    await migrateProjections(store.db, bankMigrations); // as before: the shared eventsmith_projection_migration table
    await store.close();
    const result = await migrate(db);
    expect(result.err).toBe('');
    expect(result.status).toBe(0);
    expect(result.out).toContain(
      `generated/bank: projection tables up to date (0001_create_account_summary were recorded in the shared ${SqlMigrationTable.projections} table; now recorded in ${projectionMigrationTable('Bank')}).`,
    );
    expect(result.out).toMatch(/generated\/shop: applied 0001_create_customer_stats/);
  }, 120_000);

  it('on a failing migration, reports what was applied before it instead of "nothing was written"', async () => {
    const store = await SqliteEventStore.open({ filename: db, registry: EventRegistry.create({ events: [] }) });
    await store.db.schema.createTable('order_summaries').addColumn('x', 'integer').execute(); // in the way
    await store.close();
    const result = await migrate(db);
    expect(result.status).toBe(1);
    expect(result.out).toContain('generated/bank: applied 0001_create_account_summary.');
    expect(result.out).toMatch(
      /\ngenerated\/shop: applied 0001_create_customer_stats, 0002_create_daily_revenue, then failed at 0003_create_order_summaries\.\n$/,
    );
    expect(result.err).toMatch(/Migrating the projections tables of Shop failed at 0003_create_order_summaries/);
    expect(result.err).toContain('1 error; the migrations printed above were applied and stay applied.');
    expect(result.err).not.toContain('nothing was written');
  }, 120_000);

  it('says that the step whose first migration fails failed, never that its tables are up to date', async () => {
    const store = await SqliteEventStore.open({ filename: db, registry: EventRegistry.create({ events: [] }) });
    await store.db.schema.createTable('account_summary').addColumn('x', 'integer').execute(); // in the way
    await store.close();
    const result = await migrate(db);
    expect(result.status).toBe(1);
    expect(result.out).not.toContain('generated/bank: projection tables up to date');
    expect(result.out).toMatch(/\ngenerated\/bank: failed at 0001_create_account_summary\.\n$/);
    expect(result.err).toMatch(/Migrating the projections tables of Bank failed at 0001_create_account_summary/);
  }, 120_000);

  // What a newer version of the project recorded, or another branch, in the Bank domain's table.
  async function record(change: (db: Kysely<any>) => Promise<unknown>): Promise<void> {
    const store = await SqliteEventStore.open({ filename: db, registry: EventRegistry.create({ events: [] }) });
    try {
      await change(store.db);
    } finally {
      await store.close();
    }
  }

  it('from an older version of the project on a database a newer one migrated: says the database is ahead, applies nothing, exits 0', async () => {
    expect((await migrate(db)).status).toBe(0);
    await record((d) =>
      d
        .insertInto(projectionMigrationTable('Bank'))
        .values({ name: '0002_alter_account_summary', timestamp: new Date().toISOString() })
        .execute(),
    );
    const result = await migrate(db);
    expect(result.status).toBe(0);
    expect(result.out).toContain(
      "generated/bank: the database is ahead (it has 0002_alter_account_summary, newer than this project's 0001_create_account_summary), nothing applied.",
    );
    expect(result.out).toContain('generated/shop: projection tables up to date.');
    expect(result.err).toMatch(
      /^warning: The database is ahead of this version: the projections tables of Bank have migration 0002_alter_account_summary applied, newer than 0001_create_account_summary, the newest this version has, so nothing was applied\. This project's migrations are from an older version .*rolling deploy.*\n$/,
    );
    expect(result.err).not.toContain('corrupted');

    let out = '';
    const status = await main(['migrate', '--db', `sqlite:${db}`, '--config', CONFIG, '--format', 'json'], {
      cwd: REPO,
      out: (text) => void (out += text),
      err: () => undefined,
    });
    expect(status).toBe(0);
    expect((JSON.parse(out) as { steps: unknown[] }).steps).toContainEqual(
      expect.objectContaining({
        domain: 'Bank',
        applied: [],
        ahead: { newestKnown: '0001_create_account_summary', newer: ['0002_alter_account_summary'] },
      }),
    );
  }, 120_000);

  it('on a database whose migrations diverged from the project’s (another branch): refuses, names both, says how to fix, exits 1', async () => {
    expect((await migrate(db)).status).toBe(0);
    // The other branch renamed the table's migration: the database has its version, not this one.
    await record((d) =>
      d
        .updateTable(projectionMigrationTable('Bank'))
        .set({ name: '0001_create_account_summaries' })
        .where('name', '=', '0001_create_account_summary')
        .execute(),
    );
    const result = await migrate(db);
    expect(result.status).toBe(1);
    expect(result.err).toContain(
      'The projections tables of Bank were not migrated: the database records migration 0001_create_account_summaries, which this code does not have, and migration 0001_create_account_summary of this code is not applied',
    );
    expect(result.err).toContain('MIGRATE.DIVERGED');
    expect(result.err).toContain('eventsmith generate');
    expect(result.err).not.toContain('corrupted');
    expect(result.err).not.toMatch(/\n\s+at /); // no stack trace
    // The step that failed says so, and only that: not "up to date" first.
    expect(result.out).toMatch(/: failed\.\n/);
    expect(result.out).not.toContain('projection tables up to date');
    expect(result.err).toContain('restore a backup');
    expect(result.err).not.toContain('migrate the database down');
  }, 120_000);
});

describe('eventsmith migrate after a migration that empties a projection table (a new primary key)', () => {
  let project: { config: string; remove(): Promise<void> };
  let config: string;
  let seeded: string;
  let dir: string;
  let db: string;
  const expected = ACCOUNT_SUMMARIES;

  beforeAll(async () => {
    project = await lossyBankProject('es-rebuild-project');
    config = project.config;
    // The database as the app left it. Each test copies it under the same file name, which the
    // store's id, kept in its checkpoints, comes from.
    seeded = join(await mkdtemp(join(tmpdir(), 'es-rebuild-seed-')), 'app.db');
    const store = await SqliteEventStore.open({ filename: seeded, registry: createBankRegistry() });
    try {
      await seedBankAccounts(store);
      expect(await accountSummaries(store.db)).toEqual(expected);
    } finally {
      await store.close();
    }
  }, 240_000);
  afterAll(async () => {
    await project?.remove();
    if (seeded) await rm(join(seeded, '..'), { recursive: true, force: true });
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'es-rebuild-'));
    db = join(dir, 'app.db');
    await cp(seeded, db);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  async function summaries(file: string): Promise<unknown[]> {
    const store = await SqliteEventStore.open({ filename: file, registry: createBankRegistry(), migrate: false });
    try {
      return await accountSummaries(store.db);
    } finally {
      await store.close();
    }
  }

  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const status = await main([...argv, '--db', `sqlite:${db}`, '--config', config], {
      cwd: REPO,
      out: (text) => void (out += text),
      err: (text) => void (err += text),
    });
    return { status, out, err };
  };
  /** AccountSummary's needsRebuild, as `subscriptions status --format json` reports it. */
  const needsRebuild = async (): Promise<unknown> => {
    const result = await cli('subscriptions', 'status', '--format', 'json');
    expect(result.status).toBe(0);
    const rows = (JSON.parse(result.out) as { subscriptions: { name: string; needsRebuild: unknown }[] }).subscriptions;
    return rows.find((row) => row.name === 'AccountSummary')?.needsRebuild;
  };

  const migrateProject = async (...flags: string[]) => {
    let out = '';
    let err = '';
    const status = await main(['migrate', '--db', `sqlite:${db}`, '--config', config, ...flags], {
      cwd: REPO,
      out: (text) => void (out += text),
      err: (text) => void (err += text),
    });
    return { status, out, err };
  };

  it('rebuilds the projection from its events once the migration is applied, and says so; a second run rebuilds nothing', async () => {
    const result = await migrateProject();
    expect(result.status).toBe(0);
    expect(result.out).toContain('generated: applied 0002_recreate_account_summary.');
    expect(result.out).toMatch(
      /\nRebuilt AccountSummary: 5 events replayed in [\d.]+ s \(\d+ events\/s\); the new tables are in place\.\n$/,
    );
    expect(result.err).toContain('eventsmith: rebuilding AccountSummary');
    expect(result.err).not.toContain('warning');
    expect(await summaries(db)).toEqual(expected);

    const again = await migrateProject('--format', 'json');
    expect(again.status).toBe(0);
    expect(JSON.parse(again.out)).not.toHaveProperty('rebuilt');
    expect(await summaries(db)).toEqual(expected);
  }, 120_000);

  it('on a new database, applies every migration and rebuilds nothing: the projection has not run, nothing was lost', async () => {
    await rm(db);
    const result = await migrateProject();
    expect(result.status).toBe(0);
    expect(result.out).toContain('generated: applied 0001_create_account_summary, 0002_recreate_account_summary.');
    expect(result.out).not.toContain('Rebuilt');
    expect(result.err).toBe('');
    expect(await summaries(db)).toEqual([]);
    const noRebuild = await migrateProject('--no-rebuild');
    expect(noRebuild.err).toBe('');
  }, 120_000);

  it('prints the rebuild in the JSON report', async () => {
    const result = await migrateProject('--format', 'json');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.out) as { steps: { rebuild?: string[] }[]; rebuilt: unknown[] };
    expect(report.steps.flatMap((s) => s.rebuild ?? [])).toEqual(['AccountSummary']);
    expect(report.rebuilt).toEqual([
      expect.objectContaining({ projection: 'AccountSummary', replayed: 5, failures: [], resolvedDeadLetters: 0 }),
    ]);
    expect(await summaries(db)).toEqual(expected);
  }, 120_000);

  it('with --no-rebuild, leaves the table empty and says which command rebuilds it', async () => {
    const result = await migrateProject('--no-rebuild');
    expect(result.status).toBe(0);
    expect(result.out).not.toContain('Rebuilt');
    expect(result.err).toBe(
      `warning: a migration applied above emptied or reset the table of AccountSummary: rows written before it are missing or hold zero values until you rebuild it: eventsmith projections rebuild AccountSummary --db sqlite:${db}\n`,
    );
    expect(await summaries(db)).toEqual([]);
  }, 120_000);

  it('while an app runs the projection, refuses the lossy migration before applying anything (nothing lost); --no-rebuild applies it', async () => {
    // An app process of the version before the migration runs the projection (it holds its lease).
    const store = await SqliteEventStore.open({ filename: db, registry: createBankRegistry() });
    try {
      const lock = new SqlLeaseLock(store.db, { ttlMs: 600_000 });
      const held = await lock.tryAcquire('AccountSummary');
      expect(held).toBeDefined();
      const until = (await lock.holder('AccountSummary'))!.expiresAt.toISOString();
      const refused = await migrateProject();
      expect(refused.status).toBe(1);
      expect(refused.out).not.toContain('applied 0002');
      expect(refused.err).toMatch(
        /^error: Migration 0002_recreate_account_summary of \w+ empties or resets the table of AccountSummary, which another process runs now: /,
      );
      expect(refused.err).toContain(`${lock.owner} holds its lease until ${until} (and renews it while it runs)`);
      expect(refused.err).toContain('[MIGRATE.PROJECTION_RUNNING]');
      expect(refused.err).toContain(
        'fix: Stop the processes that run AccountSummary (an app of the version before this migration), then run `eventsmith migrate` again. Or apply it now with `eventsmith migrate --no-rebuild`',
      );
      expect(refused.err).toContain('nothing was applied');
      expect(await summaries(db)).toEqual(expected);
      expect(await needsRebuild()).toBeNull();

      const applied = await migrateProject('--no-rebuild');
      expect(applied.status).toBe(0);
      expect(applied.out).toContain('generated: applied 0002_recreate_account_summary.');
      expect(await summaries(db)).toEqual([]);
      await held!.release();
    } finally {
      await store.close();
    }
  }, 120_000);

  it('when the rebuild fails, keeps the migration applied, says so and what to run, and exits 1', async () => {
    // Applied without a rebuild; then an app process runs the projection (it holds its lease),
    // so the rebuild is refused.
    expect((await migrateProject('--no-rebuild')).status).toBe(0);
    const store = await SqliteEventStore.open({ filename: db, registry: createBankRegistry() });
    try {
      const lock = new SqlLeaseLock(store.db, { ttlMs: 600_000 });
      const held = await lock.tryAcquire('AccountSummary');
      expect(held).toBeDefined();
      const until = (await lock.holder('AccountSummary'))!.expiresAt.toISOString();
      const result = await migrateProject();
      expect(result.status).toBe(1);
      expect(result.out).toContain('generated: projection tables up to date.');
      expect(result.err).toContain(
        `error: The migrations were applied and stay applied, but rebuilding AccountSummary failed: Cannot rebuild projection "AccountSummary": another process is running it (process ${lock.owner} holds its lease until ${until} and renews it while it runs)`,
      );
      expect(result.err).toContain('[MIGRATE.REBUILD_FAILED]');
      expect(result.err).toContain(
        `fix: Fix the cause, then rebuild: eventsmith projections rebuild AccountSummary --db sqlite:${db}, or run \`eventsmith migrate\` again`,
      );
      expect(result.err).toContain('the migrations printed above were applied and stay applied');
      expect(await summaries(db)).toEqual([]);
      // The failed rebuild left the mark: status shows it, and a rebuild refused again keeps it.
      expect(await needsRebuild()).toEqual({
        migration: '0002_recreate_account_summary',
        since: expect.any(String),
      });
      const status = await cli('subscriptions', 'status');
      expect(status.out).toContain(
        'AccountSummary needs a rebuild: migration 0002_recreate_account_summary emptied or reset its table',
      );
      expect(status.out).toMatch(/AccountSummary .* needed\n/);
      expect((await cli('projections', 'rebuild', 'AccountSummary')).status).toBe(1);
      expect(await needsRebuild()).not.toBeNull();
      await held!.release();
    } finally {
      await store.close();
    }
    // Once the app has stopped, the command the error named rebuilds it and clears the mark:
    // `migrate` then has nothing to rebuild.
    let out = '';
    const status = await main(
      ['projections', 'rebuild', 'AccountSummary', '--db', `sqlite:${db}`, '--config', config],
      {
        cwd: REPO,
        out: (text) => void (out += text),
        err: () => undefined,
      },
    );
    expect(out).toContain('Rebuilt AccountSummary: 5 events replayed');
    expect(status).toBe(0);
    expect(await summaries(db)).toEqual(expected);
    expect(await needsRebuild()).toBeNull();
    expect((await cli('subscriptions', 'status')).out).not.toContain('needs a rebuild');
    expect((await migrateProject()).out).not.toContain('Rebuilt');
  }, 120_000);

  it('waits for another run that is rebuilding the projection and reports it rebuilt there, not failed', async () => {
    expect((await migrateProject('--no-rebuild')).status).toBe(0);
    const store = await SqliteEventStore.open({ filename: db, registry: createBankRegistry() });
    try {
      // Another `eventsmith migrate` (another pod's init container) is rebuilding AccountSummary.
      const other = new SqlLeaseLock(store.db, { ttlMs: 600_000 }).forRebuild();
      const held = await other.tryAcquire('AccountSummary');
      expect(held).toBeDefined();
      // Once this run says it waits, the other one completes: its swap clears the mark, then it
      // releases the lease.
      let finished: Promise<void> | undefined;
      const finish = async () => {
        await (store.db as Kysely<any>)
          .deleteFrom('eventsmith_pending_rebuilds')
          .where('projection', '=', 'AccountSummary')
          .execute();
        await held!.release();
      };
      let out = '';
      let err = '';
      const status = await main(['migrate', '--db', `sqlite:${db}`, '--config', config], {
        cwd: REPO,
        out: (text) => void (out += text),
        err: (text) => {
          err += text;
          if (text.includes('waiting for it to finish')) finished ??= finish();
        },
      });
      await finished;
      expect(err).toContain(
        `eventsmith: another process (${other.owner}) is rebuilding AccountSummary, probably another \`eventsmith migrate\` at the same time; waiting for it to finish.`,
      );
      expect(status).toBe(0);
      expect(out).toContain('AccountSummary was rebuilt by another process meanwhile');
      expect(out).not.toContain('Rebuilt AccountSummary');
      expect(await needsRebuild()).toBeNull();
    } finally {
      await store.close();
    }
  }, 120_000);

  /**
   * What the database keeps of RetiredTotals, a projection since removed from the project: a
   * checkpoint of the unscoped store's and one of tenant acme's, a dead letter and the mark a lossy
   * migration left.
   */
  function recordRetiredTotals(): void {
    const sqlite = new BetterSqlite3(db);
    try {
      sqlite.exec(`
        insert into eventsmith_checkpoints (tenant_id, name, position, updated_at)
          select t.tenant_id, 'RetiredTotals', c.position, c.updated_at
          from eventsmith_checkpoints c, (select '' as tenant_id union all select 'acme') t
          where c.name = 'AccountSummary' and c.tenant_id = '';
        insert into eventsmith_dead_letters (tenant_id, subscription, event_id, event_type, stream_id, position,
            stored_at, record, error, stack, attempts, status, first_failed_at, last_failed_at)
          select null, 'RetiredTotals', 'event-1', 'MoneyDeposited', 'BankAccount-alice', position, updated_at, '{}',
            'the totals service is down', null, 1, 'pending', updated_at, updated_at
          from eventsmith_checkpoints where name = 'AccountSummary' and tenant_id = '';
        insert into eventsmith_pending_rebuilds (projection, migration, marked_at)
          values ('RetiredTotals', '0003_recreate_retired_totals', 0);`);
    } finally {
      sqlite.close();
    }
  }
  const statusNames = async (): Promise<string[]> => {
    const result = await cli('subscriptions', 'status', '--format', 'json');
    expect(result.status).toBe(0);
    return (JSON.parse(result.out) as { subscriptions: { name: string }[] }).subscriptions.map((s) => s.name);
  };

  it('names `projections forget` for a marked projection the project no longer has; after it, migrate and status no longer report it', async () => {
    recordRetiredTotals();
    const note = `note: RetiredTotals, whose table a migration emptied or reset, is no longer a projection of this project: nothing to rebuild. If it was removed or renamed for good, drop what the database keeps of it (its mark, checkpoints and dead letters): eventsmith projections forget RetiredTotals --db sqlite:${db}\n`;
    // --no-rebuild: the note, not a warning to rebuild a projection that is not there.
    const noRebuild = await migrateProject('--no-rebuild');
    expect(noRebuild.status).toBe(0);
    expect(noRebuild.err).toContain(note);
    expect(noRebuild.err).not.toContain('eventsmith projections rebuild RetiredTotals');
    const migrated = await migrateProject();
    expect(migrated.status).toBe(0);
    expect(migrated.out).toContain('Rebuilt AccountSummary');
    expect(migrated.err).toContain(note);
    expect(await statusNames()).toContain('RetiredTotals');
    const status = await cli('subscriptions', 'status');
    expect(status.out).toContain(
      'RetiredTotals is marked as needing a rebuild (migration 0003_recreate_retired_totals emptied or reset its table',
    );
    expect(status.out).toContain(
      'run `eventsmith projections forget RetiredTotals` to drop what the database keeps of it',
    );
    expect(status.out).not.toContain('eventsmith projections rebuild RetiredTotals');

    const forgot = await cli('projections', 'forget', 'RetiredTotals');
    expect(forgot).toEqual({
      status: 0,
      out: 'Forgot RetiredTotals: removed 2 checkpoints, 1 dead letter and its mark of needing a rebuild. No table was changed.\n',
      err: '',
    });
    const again = await migrateProject();
    expect(again.status).toBe(0);
    expect(again.err).not.toContain('RetiredTotals');
    expect(await statusNames()).toEqual(['AccountSummary']);
    const deadLetters = await cli('dlq', 'list', '--format', 'json');
    expect(JSON.parse(deadLetters.out)).toEqual({ deadLetters: [] });
    expect(await summaries(db)).toEqual(expected); // no table changed
    // Nothing is left to forget: said, and not an error.
    expect(await cli('projections', 'forget', 'RetiredTotals')).toEqual({
      status: 0,
      out: 'Nothing is recorded for "RetiredTotals" (no checkpoint, lease, dead letter or rebuild mark): nothing to forget.\n',
      err: '',
    });
  }, 120_000);

  it('projections forget refuses a projection the project still has, and one an app still runs; reports as JSON; --tenant forgets one scope', async () => {
    recordRetiredTotals();
    const defined = await cli('projections', 'forget', 'AccountSummary');
    expect(defined.status).toBe(1);
    expect(defined.err).toContain('[OPS.STILL_DEFINED]');
    expect(defined.err).toContain('"AccountSummary" is still a projection of this project');
    expect(defined.err).toContain('eventsmith projections rebuild AccountSummary --db <url>');
    expect(await statusNames()).toContain('AccountSummary');

    const store = await SqliteEventStore.open({ filename: db, registry: createBankRegistry(), migrate: false });
    try {
      const held = await new SqlLeaseLock(store.db, { ttlMs: 600_000 }).tryAcquire('RetiredTotals');
      expect(held).toBeDefined();
      const busy = await cli('projections', 'forget', 'RetiredTotals');
      expect(busy.status).toBe(1);
      expect(busy.err).toContain('[SUBSCRIPTION.IN_USE]');
      expect(busy.err).toContain('Cannot forget subscription "RetiredTotals": a process runs it');
      expect(busy.err).not.toMatch(/\n\s+at /); // no stack trace
      expect(await statusNames()).toContain('RetiredTotals');
      await held!.release();
    } finally {
      await store.close();
    }

    const tenant = await cli('projections', 'forget', 'RetiredTotals', '--tenant', 'acme', '--format', 'json');
    expect(tenant.status).toBe(0);
    expect(JSON.parse(tenant.out)).toEqual({
      name: 'RetiredTotals',
      tenantId: 'acme',
      checkpoints: 1,
      leases: 0,
      deadLetters: 0,
      pendingRebuild: false,
    });
    const rest = await cli('projections', 'forget', 'RetiredTotals', '--format', 'json');
    expect(JSON.parse(rest.out)).toEqual({
      name: 'RetiredTotals',
      tenantId: null,
      checkpoints: 1,
      leases: 0,
      deadLetters: 1,
      pendingRebuild: true,
    });
    expect(await statusNames()).toEqual(['AccountSummary']);
  }, 120_000);

  it('rebuilds, at a later run that applies nothing, what an earlier run left to rebuild (--no-rebuild, a failed or killed rebuild)', async () => {
    expect((await migrateProject('--no-rebuild')).status).toBe(0);
    expect(await summaries(db)).toEqual([]);
    const json = await migrateProject('--no-rebuild', '--format', 'json');
    expect(JSON.parse(json.out)).toEqual(expect.objectContaining({ pending: ['AccountSummary'] }));
    const warned = await migrateProject('--no-rebuild');
    expect(warned.err).toContain(
      'warning: a migration applied earlier emptied or reset the table of AccountSummary, and it has not been rebuilt since',
    );
    const result = await migrateProject();
    expect(result.status).toBe(0);
    expect(result.out).toContain('generated: projection tables up to date.');
    expect(result.out).toContain('Rebuilt AccountSummary: 5 events replayed');
    expect(await summaries(db)).toEqual(expected);
    expect(await needsRebuild()).toBeNull();
    expect((await migrateProject()).out).not.toContain('Rebuilt');
  }, 120_000);
});
