import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { EventRegistry } from '../events/event-registry.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import type { RebuildReport } from '../subscriptions/rebuild-projection.js';
import {
  AppMigrationError,
  migrateApp,
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
  const report = (projection: string): RebuildReport => ({
    projection,
    replayed: 1,
    failures: [],
    failuresNotListed: 0,
    position: null,
    resolvedDeadLetters: 0,
    durationMs: 0,
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
