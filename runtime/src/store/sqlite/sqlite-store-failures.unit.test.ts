import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventStoreBusyError, EventStoreUnavailableError } from '../../errors.js';
import { conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { SqliteEventStore } from './sqlite-event-store.js';

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
