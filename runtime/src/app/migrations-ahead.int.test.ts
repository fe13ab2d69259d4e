// An older version of an app on a database a newer version migrated (a rolling deploy, a
// rollback), and a database whose migration history diverged from the code's: on SQLite always,
// on PostgreSQL and MariaDB/MySQL when they are reachable.
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { migrateProjections } from '../projections/migrate-projections.js';
import type { EventStore } from '../store/event-store.js';
import { MysqlEventStore } from '../store/mysql/mysql-event-store.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { EVENT_STORE_MIGRATION_TABLE } from '../store/sql/event-store-tables.js';
import { MigrationsDivergedError } from '../store/sql/run-migrations.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { defineApp } from './app-definition.js';
import { createApp } from './create-app.js';
import { AppMigrationError, migrateApp, projectionMigrationTable } from './migrate-app.js';
import { registry, shopApp, shopClasses } from './test-support/shop-app.js';

const createItems = {
  up: (db: Kysely<any>) =>
    db.schema
      .createTable('ahead_todo_items')
      .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
      .execute(),
};
const v1 = { '0001_create_ahead_todo_items': createItems };
const v2 = {
  ...v1,
  '0002_alter_ahead_todo_items': {
    up: (db: Kysely<any>) => db.schema.alterTable('ahead_todo_items').addColumn('title', 'varchar(100)').execute(),
  },
};
// Another branch's second migration: the database has v2's.
const branch = {
  ...v1,
  '0002_add_done_to_ahead_todo_items': {
    up: (db: Kysely<any>) => db.schema.alterTable('ahead_todo_items').addColumn('done', 'integer').execute(),
  },
};
const todoApp = (migrations: Record<string, typeof createItems>) =>
  defineApp({ domain: 'AheadTodo', aggregates: shopApp.aggregates, projectionMigrations: migrations });
const table = projectionMigrationTable('AheadTodo');

function cases(open: () => Promise<{ store: EventStore & { db: Kysely<any> }; close: () => Promise<void> }>) {
  it('an older version starts on a database a newer one migrated, applies nothing and warns once, naming both', async () => {
    const { store, close } = await open();
    try {
      await migrateApp({ store, domains: [{ domain: 'AheadTodo', projectionMigrations: v2 }] });
      const warnings: { message: string; data: unknown }[] = [];
      const logger = {
        warn: (message: string, data?: unknown) => void warnings.push({ message, data }),
        error: () => undefined,
      };
      const app = await createApp(todoApp(v1), { store, aggregates: shopClasses, logger });
      await app.close();
      const ahead = { newestKnown: '0001_create_ahead_todo_items', newer: ['0002_alter_ahead_todo_items'] };
      expect(app.migrations.steps.find((s) => s.tables === 'projections')).toEqual({
        tables: 'projections',
        domain: 'AheadTodo',
        applied: [],
        ahead,
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain('the projections tables of AheadTodo');
      expect(warnings[0]!.message).toContain(
        'have migration 0002_alter_ahead_todo_items applied, newer than 0001_create_ahead_todo_items',
      );
      expect(warnings[0]!.message).toContain('older version');
      expect(warnings[0]!.message).toContain('rolling deploy');
      expect(warnings[0]!.data).toMatchObject({ domain: 'AheadTodo', ...ahead });

      const report = await migrateApp({ store, domains: [{ domain: 'AheadTodo', projectionMigrations: v1 }] });
      expect(report.steps.find((s) => s.tables === 'projections')).toMatchObject({ applied: [], ahead });
      const result = await migrateProjections(store.db, v1, { migrationTableName: table });
      expect(result).toEqual({ results: [], ahead });
      // v1 never ran v2's migration backwards or again: the column v2 added is still there.
      await store.db.insertInto('ahead_todo_items').values({ id: 'a', title: 'kept' }).execute();
    } finally {
      await close();
    }
  });

  it('the event store tables of a newer eventsmith are no failure either: the step says so', async () => {
    const { store, close } = await open();
    try {
      await migrateApp({ store, domains: [] });
      await store.db
        .insertInto(EVENT_STORE_MIGRATION_TABLE)
        .values({ name: '9999_from_a_newer_eventsmith', timestamp: new Date().toISOString() })
        .execute();
      const report = await migrateApp({ store, domains: [] });
      expect(report.steps.find((s) => s.tables === 'event store')).toMatchObject({
        applied: [],
        ahead: { newer: ['9999_from_a_newer_eventsmith'] },
      });
    } finally {
      await close();
    }
  });

  it('histories that diverged (two branches each added a migration) are refused with a typed error and the fix', async () => {
    const { store, close } = await open();
    try {
      await migrateApp({ store, domains: [{ domain: 'AheadTodo', projectionMigrations: v2 }] });
      for (const attempt of [
        () => migrateApp({ store, domains: [{ domain: 'AheadTodo', projectionMigrations: branch }] }),
        () => createApp(todoApp(branch), { store, aggregates: shopClasses }),
      ]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(AppMigrationError);
        expect(error).toMatchObject({ code: 'APP.MIGRATIONS_DIVERGED', step: { domain: 'AheadTodo' } });
        expect((error as Error).cause).toBeInstanceOf(MigrationsDivergedError);
        expect((error as Error).cause).toMatchObject({
          unknown: ['0002_alter_ahead_todo_items'],
          unapplied: ['0002_add_done_to_ahead_todo_items'],
        });
        const message = (error as Error).message;
        expect(message).toContain('Migrating the projections tables of AheadTodo failed');
        expect(message).toContain('0002_alter_ahead_todo_items, which this code does not have');
        expect(message).toContain('0002_add_done_to_ahead_todo_items of this code is not applied');
        expect(message).toContain('eventsmith generate');
        expect(message).not.toContain('corrupted');
      }
      await expect(migrateProjections(store.db, branch, { migrationTableName: table })).rejects.toBeInstanceOf(
        MigrationsDivergedError,
      );
    } finally {
      await close();
    }
  });
}

describe('a migration of the code named before one applied, and never applied', () => {
  it('is refused as diverged too, naming it, instead of "corrupted migrations"', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry });
    try {
      const third = {
        '0003_add_due_to_ahead_todo_items': {
          up: (db: Kysely<any>) => db.schema.alterTable('ahead_todo_items').addColumn('due', 'integer').execute(),
        },
      };
      await migrateProjections(store.db, { ...v1, ...third }, { migrationTableName: table });
      const error = await migrateProjections(store.db, { ...v2, ...third }, { migrationTableName: table }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MigrationsDivergedError);
      expect(error).toMatchObject({ unknown: [], unapplied: ['0002_alter_ahead_todo_items'] });
      expect((error as Error).message).toContain(
        'migration 0002_alter_ahead_todo_items of this code is not applied although a later one is',
      );
      expect((error as Error).message).not.toContain('corrupted');
    } finally {
      await store.close();
    }
  });
});

describe('migrations ahead of the code, and diverged, on SQLite', () => {
  cases(async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry });
    return { store, close: () => store.close() };
  });
});

await describeWithService('postgres', 'migrations ahead of the code, and diverged, on PostgreSQL', () => {
  cases(async () => {
    const { url, drop } = await freshPostgresDatabase('es_dbahead_pg');
    const store = await PostgresEventStore.open({ url, registry });
    return { store, close: () => store.close().finally(drop) };
  });
});

await describeWithService('mysql', 'migrations ahead of the code, and diverged, on MariaDB/MySQL', () => {
  cases(async () => {
    const { url, drop } = await freshMysqlDatabase('es_dbahead_my');
    const store = await MysqlEventStore.open({ url, registry });
    return { store, close: () => store.close().finally(drop) };
  });
});
