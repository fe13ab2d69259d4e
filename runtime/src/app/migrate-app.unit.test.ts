import { inspect } from 'node:util';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EventRegistry } from '../events/event-registry.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import type { RebuildReport } from '../subscriptions/rebuild-projection.js';
import {
  AppMigrationError,
  migrateApp,
  type DomainMigrations,
  ProjectionRebuildAfterMigrationError,
  type ProjectionTableMigration,
} from './migrate-app.js';

describe('AppMigrationError', () => {
  it('joins a cause that ends a sentence into one message, without a doubled period', () => {
    const cause = new Error('"x_idx" exists but is not the index. Drop or rename it, then migrate again.');
    const error = new AppMigrationError({ steps: [] }, { tables: 'event store' }, undefined, cause);
    expect(error.message).toBe(
      'Migrating the event store tables failed: "x_idx" exists but is not the index. Drop or rename it, then migrate again. Nothing was applied before it.',
    );
  });

  it('ends a cause without a period with one, and lists what was applied before it', () => {
    const error = new AppMigrationError(
      { steps: [{ tables: 'event store', applied: ['0001_event_store'] }] },
      { tables: 'projections', domain: 'bank' },
      '0002_accounts',
      new Error('column "x" already exists'),
    );
    expect(error.message).toBe(
      'Migrating the projections tables of bank failed at 0002_accounts: column "x" already exists. Already applied: 0001_event_store.',
    );
  });

  it("words a database error the store classifies as the store's errors do, keeping the driver's code and no password", () => {
    // As pg and mysql2 throw them; a client may hang its settings (password included) on the error.
    const driverError = (message: string, fields: Record<string, unknown>) =>
      Object.assign(new Error(message), fields, {
        config: { password: 'Zq7s3cret' },
        client: { password: 'Zq7s3cret' },
      });
    const refused = driverError('permission denied for schema public', { code: '42501', severity: 'ERROR' });
    const error = new AppMigrationError({ steps: [] }, { tables: 'event store' }, '0001_event_store', refused);
    expect(error.message).toBe(
      'Migrating the event store tables failed at 0001_event_store: the database server refused access. Grant the user the rights it needs ' +
        '(connect, create tables, read and write them), or for a file make it and its folder writable by this process ' +
        '(permission denied for schema public). Nothing was applied before it.',
    );
    expect(error.reason).toBe('permission');
    expect(error.cause).toMatchObject({ message: 'permission denied for schema public', code: '42501' });
    expect(inspect(error, { depth: 10 })).not.toContain('Zq7s3cret');

    const login = new AppMigrationError(
      { steps: [] },
      { tables: 'projections', domain: 'bank' },
      undefined,
      driverError("Access denied for user 'app'@'10.0.0.2' (using password: YES)", { errno: 1045 }),
    );
    expect(login.message).toContain(
      'failed: the database server refused the login. Check the user name and password in the connection settings (Access denied',
    );
    expect(login.reason).toBe('authentication');
    expect(inspect(login, { depth: 10 })).not.toContain('Zq7s3cret');

    // A failed statement is not the database's fault: its text, and the error as it is.
    const syntax = Object.assign(new Error('near "on": syntax error'), { code: 'SQLITE_ERROR' });
    const failed = new AppMigrationError({ steps: [] }, { tables: 'projections' }, '0004_alter', syntax);
    expect(failed.message).toBe(
      'Migrating the projections tables failed at 0004_alter: near "on": syntax error. Nothing was applied before it.',
    );
    expect(failed.reason).toBeUndefined();
    expect(failed.cause).toBe(syntax);
  });
});

describe('migrateApp and the projections its migrations empty', () => {
  const table = (name: string) => ({
    async up(db: Kysely<any>) {
      await db.schema
        .createTable(name)
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .execute();
    },
  });
  const recreate = {
    rebuild: ['Orders'],
    async up(db: Kysely<any>) {
      await db.schema.dropTable('rebuild_orders').execute();
      await table('rebuild_orders').up(db);
    },
  };
  /** Orders has run: its checkpoint is what makes a lossy migration mark it. */
  const checkpoint = (store: SqliteEventStore, name = 'Orders') =>
    store.db
      .insertInto('eventsmith_checkpoints' as never)
      .values({ tenant_id: '', name, position: 'sqlite:x@1', updated_at: 0 } as never)
      .execute();
  const report = (projection: string): RebuildReport => ({
    projection,
    replayed: 1,
    failures: [],
    failuresNotListed: 0,
    position: null,
    resolvedDeadLetters: 0,
    durationMs: 0,
  });

  it('rebuilds, at a later call, what a migration applied before a failed one emptied', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      const calls: string[] = [];
      const rebuild = (name: string) => (calls.push(name), Promise.resolve(report(name)));
      const broken = {
        async up() {
          throw new Error('the later migration is broken');
        },
      };
      // Each domain's migrations run in their own transaction: A's lossy 0002 commits, B's fails.
      const domains = (b: ProjectionTableMigration): DomainMigrations[] => [
        {
          domain: 'RebuildA',
          projectionMigrations: { '0001_orders': table('rebuild_orders'), '0002_recreate': recreate },
        },
        { domain: 'RebuildB', projectionMigrations: { '0001_other': b } },
      ];
      await migrateApp({
        store,
        domains: [{ domain: 'RebuildA', projectionMigrations: { '0001_orders': table('rebuild_orders') } }],
      });
      await checkpoint(store);
      await expect(migrateApp({ store, domains: domains(broken), rebuild })).rejects.toThrow(AppMigrationError);
      expect(calls).toEqual([]);
      const fixed = await migrateApp({ store, domains: domains(table('rebuild_other')), rebuild });
      expect(fixed.steps.find((s) => s.domain === 'RebuildA')?.applied).toEqual([]);
      expect(calls).toEqual(['Orders']);
      expect(fixed.rebuilt).toEqual([report('Orders')]);
      expect(fixed).not.toHaveProperty('pending');
      const again = await migrateApp({ store, domains: domains(table('rebuild_other')), rebuild });
      expect(again).not.toHaveProperty('rebuilt');
      expect(calls).toEqual(['Orders']);
    } finally {
      await store.close();
    }
  });

  it('marks nothing when the lossy migration itself fails: the mark rolls back with it', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      const failing = {
        rebuild: ['Orders'],
        async up(db: Kysely<any>) {
          await db.schema.dropTable('rebuild_orders').execute();
          throw new Error('the recreate is broken');
        },
      };
      const first = { '0001_orders': table('rebuild_orders') };
      await migrateApp({ store, domains: [{ domain: 'RebuildA', projectionMigrations: first }] });
      const domains = [{ domain: 'RebuildA', projectionMigrations: { ...first, '0002_recreate': failing } }];
      await expect(migrateApp({ store, domains })).rejects.toThrow(AppMigrationError);
      expect(
        await migrateApp({ store, domains: [{ domain: 'RebuildA', projectionMigrations: first }] }),
      ).not.toHaveProperty('pending');
      // The table the migration dropped before failing is back: its DDL rolled back too.
      expect((await store.db.introspection.getTables()).map((t) => t.name)).toContain('rebuild_orders');
    } finally {
      await store.close();
    }
  });

  it('keeps the mark of a failed rebuild, and of one not asked for, until a rebuild succeeds', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      const migrations = { '0001_orders': table('rebuild_orders'), '0002_recreate': recreate };
      const domains = [{ domain: 'RebuildA', projectionMigrations: migrations }];
      await migrateApp({
        store,
        domains: [{ domain: 'RebuildA', projectionMigrations: { '0001_orders': migrations['0001_orders'] } }],
      });
      await checkpoint(store);
      const failing = () => Promise.reject(new Error('the service is down'));
      await expect(migrateApp({ store, domains, rebuild: failing })).rejects.toThrow(
        ProjectionRebuildAfterMigrationError,
      );
      const error = (await migrateApp({ store, domains, rebuild: failing }).catch(
        (e: unknown) => e,
      )) as ProjectionRebuildAfterMigrationError;
      expect(error.report.pending).toEqual(['Orders']);
      expect(await migrateApp({ store, domains })).toEqual(expect.objectContaining({ pending: ['Orders'] }));
      const done = await migrateApp({ store, domains, rebuild: (name) => Promise.resolve(report(name)) });
      expect(done.rebuilt).toEqual([report('Orders')]);
      expect(await migrateApp({ store, domains })).not.toHaveProperty('pending');
    } finally {
      await store.close();
    }
  });

  it('marks no projection without a checkpoint: on a new database it replays from the start anyway', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      const domains = [
        {
          domain: 'RebuildA',
          projectionMigrations: { '0001_orders': table('rebuild_orders'), '0002_recreate': recreate },
        },
      ];
      const created = await migrateApp({ store, domains });
      expect(created.steps.find((s) => s.domain === 'RebuildA')?.rebuild).toEqual(['Orders']);
      expect(created).not.toHaveProperty('pending');
      expect(await migrateApp({ store, domains })).not.toHaveProperty('pending');
    } finally {
      await store.close();
    }
  });

  it('rebuilds, with rebuild, only what the migrations applied by this call name, after they all succeeded', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      const calls: string[] = [];
      const rebuild = (name: string) => (calls.push(name), Promise.resolve(report(name)));
      const domains = (more: Record<string, ProjectionTableMigration>) => [
        { domain: 'RebuildA', projectionMigrations: { '0001_orders': table('rebuild_orders'), ...more } },
      ];
      const first = await migrateApp({ store, domains: domains({}), rebuild });
      expect(first).not.toHaveProperty('rebuilt');
      await checkpoint(store);
      const second = await migrateApp({ store, domains: domains({ '0002_recreate': recreate }), rebuild });
      expect(calls).toEqual(['Orders']);
      expect(second.rebuilt).toEqual([report('Orders')]);
      const third = await migrateApp({ store, domains: domains({ '0002_recreate': recreate }), rebuild });
      expect(third).not.toHaveProperty('rebuilt');
      expect(calls).toEqual(['Orders']);
    } finally {
      await store.close();
    }
  });

  it('rebuilds the others when one fails, then throws with what was rebuilt and what to run', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      await migrateApp({
        store,
        domains: [{ domain: 'RebuildB', projectionMigrations: { '0001': table('rebuild_orders') } }],
      });
      for (const name of ['Gone', 'Orders', 'Stats']) await checkpoint(store, name);
      const both = { ...recreate, rebuild: ['Gone', 'Orders', 'Stats'] };
      const failing = migrateApp({
        store,
        domains: [{ domain: 'RebuildB', projectionMigrations: { '0001': table('rebuild_orders'), '0002': both } }],
        rebuild: (name) =>
          name === 'Orders'
            ? Promise.reject(new Error('the handler failed.'))
            : Promise.resolve(name === 'Gone' ? undefined : report(name)),
      });
      const error = (await failing.catch((e: unknown) => e)) as ProjectionRebuildAfterMigrationError;
      expect(error).toBeInstanceOf(ProjectionRebuildAfterMigrationError);
      expect(error.report.rebuilt).toEqual([report('Stats')]);
      // Gone: a projection the caller no longer has, skipped.
      expect(error.report.steps.at(-1)).toMatchObject({ applied: ['0002'], rebuild: ['Gone', 'Orders', 'Stats'] });
      expect(error.message).toBe(
        'The migrations were applied and stay applied, but rebuilding Orders failed: the handler failed. Until it is rebuilt, ' +
          'the table of Orders is empty or holds zero values: fix the cause, then rebuild with ' +
          '`eventsmith projections rebuild Orders --db <url>` (or app.manager.rebuild(name)).',
      );
    } finally {
      await store.close();
    }
  });

  it('reports the rebuild of a migration applied before a later one of its step failed', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: EventRegistry.create({ events: [] }) });
    try {
      await migrateApp({
        store,
        domains: [{ domain: 'RebuildC', projectionMigrations: { '0001': table('rebuild_orders') } }],
      });
      const broken = { up: () => Promise.reject(new Error('no')) };
      const failing = migrateApp({
        store,
        domains: [
          {
            domain: 'RebuildC',
            projectionMigrations: { '0001': table('rebuild_orders'), '0002': recreate, '0003': broken },
          },
        ],
        rebuild: () => Promise.reject(new Error('not called')),
      });
      const error = (await failing.catch((e: unknown) => e)) as AppMigrationError;
      expect(error).toBeInstanceOf(AppMigrationError);
      expect(error.report.steps.at(-1)).toMatchObject({ applied: ['0002'], rebuild: ['Orders'] });
    } finally {
      await store.close();
    }
  });
});
