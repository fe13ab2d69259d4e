import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventStoreBusyError, EventStoreUnavailableError } from '../../errors.js';
import { conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { EVENT_STORE_MIGRATION_TABLE } from '../sql/event-store-tables.js';
import { eventStoreMigrations } from '../sql/event-store-migrations.js';
import { runMigrations } from '../sql/run-migrations.js';

describe('SqliteEventStore failures', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-failures-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = (filename: string, busyTimeoutMs?: number) =>
    SqliteEventStore.open({
      filename,
      registry: conformanceRegistry,
      ...(busyTimeoutMs === undefined ? {} : { busyTimeoutMs }),
    });

  it('names the file and gives file advice when it cannot be opened (missing folder, a folder, not a database)', async () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const garbage = join(dir, 'notes.txt');
    writeFileSync(
      garbage,
      'this is not a SQLite database, just some text that is long enough to have a header'.repeat(20),
    );
    for (const filename of [join(dir, 'missing', 'events.db'), folder, garbage]) {
      const error = await open(filename).catch((e: unknown) => e);
      expect(error, filename).toBeInstanceOf(EventStoreUnavailableError);
      const unavailable = error as EventStoreUnavailableError;
      expect(unavailable.reason).toBe('file');
      expect(unavailable.retryable).toBe(false);
      expect(unavailable.target).toBe(`sqlite:${filename}`);
      expect(unavailable.message).toContain(filename);
      expect(unavailable.message).not.toMatch(/running and reachable/);
      expect(unavailable.message).toMatch(/folder exists/);
      expect(unavailable.cause).toBeInstanceOf(Error);
    }
  });

  it('refuses to open with migrate: false a file never migrated, or migrated by an older eventsmith, saying to run eventsmith migrate', async () => {
    const filename = join(dir, 'events.db');
    const never = await SqliteEventStore.open({ filename, registry: conformanceRegistry, migrate: false }).catch(
      (e: unknown) => e,
    );
    expect(never).toBeInstanceOf(EventStoreUnavailableError);
    expect(never).toMatchObject({ reason: 'not-migrated', retryable: false, code: 'STORE.UNAVAILABLE' });
    expect((never as Error).message).toContain(filename);
    expect((never as Error).message).toMatch(/no event store tables/);
    expect((never as Error).message).toMatch(
      /Run `eventsmith migrate --db <url>`.*or open the store with migrate: true/,
    );

    // checkMigrated: false opens it all the same, for code that migrates the store after opening it;
    // used before that, it says the same, not the driver's "no such table".
    const unchecked = await SqliteEventStore.open({
      filename,
      registry: conformanceRegistry,
      migrate: false,
      checkMigrated: false,
    });
    const s = newStream();
    for (const attempt of [
      () => unchecked.appendToStream(s.streamId, noted(s), { expectedVersion: 'no_stream' }),
      () => unchecked.currentPosition(),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ reason: 'not-migrated', code: 'STORE.UNAVAILABLE' });
      expect((error as Error).message).toMatch(/eventsmith migrate --db <url>/);
    }
    await unchecked.close();

    // A file migrated by an older eventsmith: the first two event store migrations.
    const older = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(filename) }) });
    const firstTwo = Object.fromEntries(Object.entries(eventStoreMigrations('sqlite')).slice(0, 2));
    await runMigrations(older, firstTwo, EVENT_STORE_MIGRATION_TABLE);
    await older.destroy();
    const behind = await SqliteEventStore.open({ filename, registry: conformanceRegistry, migrate: false }).catch(
      (e: unknown) => e,
    );
    expect(behind).toMatchObject({ reason: 'not-migrated' });
    expect((behind as Error).message).toMatch(/missing migrations 0003_snapshot_fingerprints, 0005_store_identity\b/);

    await (await open(filename)).close();
    await (await SqliteEventStore.open({ filename, registry: conformanceRegistry, migrate: false })).close();
  });

  it('turns an expired busy timeout into a retryable EventStoreBusyError, and the retry succeeds', async () => {
    const filename = join(dir, 'events.db');
    const store = await open(filename, 50);
    // Another process's writer, as SQLite sees it: a second connection holding the write lock.
    const other = new BetterSqlite3(filename);
    try {
      other.exec('begin immediate');
      const s = newStream();
      const error = await store
        .appendToStream(s.streamId, noted(s), { expectedVersion: 'no_stream' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreBusyError);
      expect(error).toMatchObject({
        code: 'STORE.BUSY',
        reason: 'busy',
        retryable: true,
        waitedMs: 50,
        target: `sqlite:${filename}`,
      });
      expect((error as Error).message).toMatch(/busyTimeoutMs/);
      const inTransaction = await store
        .transaction(async (tx) => tx.appendToStream(s.streamId, noted(s), { expectedVersion: 'no_stream' }))
        .catch((e: unknown) => e);
      expect(inTransaction).toBeInstanceOf(EventStoreBusyError);
      other.exec('commit');
      const retried = await store.appendToStream(s.streamId, noted(s), { expectedVersion: 'no_stream' });
      expect(retried.nextVersion).toBe(1);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
      await store.close();
    }
  });
});
