import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { InMemoryCheckpointStore } from './checkpoint-store.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import { SqlCheckpointStore } from './sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from './sql/sql-dead-letter-queue.js';
import { SqlLeaseLock } from './sql/sql-lease-lock.js';
import type { SubscriptionLock } from './subscription-lock.js';
import { migrateSubscriptionTables } from './sql/subscription-tables.js';
import { SubscriptionManager } from './subscription-manager.js';
import type { SubscriptionErrorInfo } from './subscription-options.js';
import { waitFor } from '../test-support/subscription-fixtures.js';
import {
  appendBills,
  centsOf,
  collectPositions,
  newerRegistry,
  PaidV1,
  PaidV3,
  readerRegistry,
  writerRegistry,
} from '../test-support/undecodable-fixtures.js';

const fastRetry = { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function manage(manager: SubscriptionManager): SubscriptionManager {
  cleanups.push(async () => void (await manager.stop(1000)));
  return manager;
}

describe('SubscriptionManager: undecodable events (in-memory store)', () => {
  it('parks an event whose upcaster throws, with the reason and raw record, and moves past it', async () => {
    const store = new InMemoryEventStore({ registry: readerRegistry });
    await appendBills(store, 3, false);
    const deadLetters = new InMemoryDeadLetterQueue();
    const checkpoints = new InMemoryCheckpointStore();
    const reported: SubscriptionErrorInfo[] = [];
    const manager = manage(
      new SubscriptionManager({
        store,
        deadLetters,
        checkpoints,
        pollIntervalMs: 10,
        onError: (_, e) => void reported.push(e),
      }),
    );
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(centsOf(s)), { name: 'bills', retry: fastRetry, batchSize: 2 });
    await manager.start();
    await waitFor(() => seen.length === 4, 'the decodable events');
    expect(seen).toEqual([100, 200, 400, 500]);
    const [entry, ...more] = await deadLetters.list();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      subscription: 'bills',
      eventType: 'Paid',
      streamId: 'Bill-b3',
      attempts: 1,
      status: 'pending',
    });
    expect(entry!.record).toMatchObject({ eventVersion: 1, data: { amount: 13 } });
    expect(entry!.error).toMatch(/^UndecodableEventError: .*unlucky amount/);
    const positions = await collectPositions(store);
    expect(entry!.position.equals(positions[2]!)).toBe(true);
    await waitFor(
      async () => (await checkpoints.load('bills'))?.equals(positions[4]!) === true,
      'checkpoint at the end',
    );
    const status = await manager.status('bills');
    expect(status).toMatchObject({ state: 'live', deadLettered: 1, processed: 4, lagEvents: 0 });
    expect(status.recentErrors.map((e) => e.kind)).toEqual(['undecodable']);
    expect(reported.some((e) => e.kind === 'undecodable' && /parked in the dead-letter queue/.test(e.message))).toBe(
      true,
    );
  });

  it('with stopOnError, stops at the undecodable event and keeps the checkpoint before it', async () => {
    const store = new InMemoryEventStore({ registry: readerRegistry });
    await appendBills(store, 3, false);
    const deadLetters = new InMemoryDeadLetterQueue();
    const checkpoints = new InMemoryCheckpointStore();
    const manager = manage(new SubscriptionManager({ store, deadLetters, checkpoints, pollIntervalMs: 10 }));
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(centsOf(s)), { name: 'strict', stopOnError: true, retry: fastRetry });
    await manager.start();
    await waitFor(async () => (await manager.status('strict')).state === 'failed', 'failed state');
    expect(seen).toEqual([100, 200]);
    const positions = await collectPositions(store);
    expect((await checkpoints.load('strict'))!.equals(positions[1]!)).toBe(true);
    const status = await manager.status('strict');
    expect(status.failure).toMatchObject({ kind: 'undecodable', position: positions[2]!.toString() });
    expect(status.failure!.message).toMatch(/unlucky amount/);
    expect(status.lagEvents).toBe(3); // the undecodable event counts
    expect(await deadLetters.list()).toEqual([]);
  });
});

describe('SubscriptionManager: undecodable events (SQLite store)', () => {
  async function sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'es-undecodable-'));
    const filename = join(dir, 'events.db');
    const writer = await SqliteEventStore.open({ filename, registry: writerRegistry });
    const reader = await SqliteEventStore.open({ filename, registry: readerRegistry });
    cleanups.push(async () => {
      await reader.close();
      await writer.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return { writer, reader };
  }

  it('parks an event of a type the reader does not know and moves past it, in store transactions', async () => {
    const { writer, reader } = await sqlite();
    await appendBills(writer, 2, true);
    await migrateSubscriptionTables(reader.db);
    const checkpoints = new SqlCheckpointStore(reader.db);
    const deadLetters = new SqlDeadLetterQueue(reader.db);
    const manager = manage(new SubscriptionManager({ store: reader, checkpoints, deadLetters, pollIntervalMs: 10 }));
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(centsOf(s)), { name: 'tx', transaction: 'store', retry: fastRetry });
    await manager.start();
    await waitFor(() => seen.length === 4, 'the decodable events');
    expect(seen).toEqual([100, 300, 400, 500]);
    await waitFor(async () => (await deadLetters.list()).length === 1, 'the parked event');
    const [entry] = await deadLetters.list();
    expect(entry).toMatchObject({ subscription: 'tx', eventType: 'Mystery', streamId: 'Bill-b2', attempts: 1 });
    expect(entry!.error).toMatch(/Unknown event type "Mystery"/);
    const positions = await collectPositions(writer);
    await waitFor(async () => (await checkpoints.load('tx'))?.equals(positions[4]!) === true, 'checkpoint at the end');
    expect(entry!.position.equals(positions[1]!)).toBe(true);
    expect((await manager.status('tx')).deadLettered).toBe(1);
  });

  it('parks an event whose upcaster throws, without store transactions', async () => {
    const { writer, reader } = await sqlite();
    await appendBills(writer, 5, false);
    const deadLetters = new InMemoryDeadLetterQueue();
    const checkpoints = new InMemoryCheckpointStore();
    const manager = manage(new SubscriptionManager({ store: reader, checkpoints, deadLetters, pollIntervalMs: 10 }));
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(centsOf(s)), { name: 'plain', retry: fastRetry });
    await manager.start();
    const positions = await collectPositions(writer);
    await waitFor(
      async () => (await checkpoints.load('plain'))?.equals(positions[4]!) === true,
      'checkpoint past the last event',
    );
    expect(seen).toEqual([100, 200, 300, 400]);
    const [entry, ...more] = await deadLetters.list();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ eventType: 'Paid', streamId: 'Bill-b5', record: { data: { amount: 13 } } });
  });
});

describe('SubscriptionManager: events written by a newer release (rolling deploy, SQLite store)', () => {
  /** An old process (Paid up to v2) and a new one (Paid v3) on one database file. */
  async function deploy() {
    const dir = mkdtempSync(join(tmpdir(), 'es-too-new-'));
    const filename = join(dir, 'events.db');
    const newer = await SqliteEventStore.open({ filename, registry: newerRegistry });
    const older = await SqliteEventStore.open({ filename, registry: readerRegistry });
    cleanups.push(async () => {
      await older.close();
      await newer.close();
      rmSync(dir, { recursive: true, force: true });
    });
    await migrateSubscriptionTables(newer.db);
    // Old code wrote 1 and 2 (as v1), the new release writes 3 (as v3), then 4 (as v1, say a replayed import).
    for (const amount of [1, 2]) {
      await newer.appendToStream(`Bill-b${amount}`, [new PaidV1({ amount }, { aggregateId: `b${amount}` })], {
        expectedVersion: 'no_stream',
      });
    }
    await newer.appendToStream('Bill-b3', [new PaidV3({ cents: 300, currency: 'EUR' }, { aggregateId: 'b3' })], {
      expectedVersion: 'no_stream',
    });
    await newer.appendToStream('Bill-b4', [new PaidV1({ amount: 4 }, { aggregateId: 'b4' })], {
      expectedVersion: 'no_stream',
    });
    return { newer, older, positions: await collectPositions(newer) };
  }

  /** A lock that counts the leases it hands out. */
  function counting(lock: SqlLeaseLock): { lock: SubscriptionLock; acquired: () => number } {
    let acquired = 0;
    return {
      lock: {
        tryAcquire: async (name) => {
          const handle = await lock.tryAcquire(name);
          if (handle) acquired++;
          return handle;
        },
      },
      acquired: () => acquired,
    };
  }

  for (const mode of ['store transaction', 'no transaction'] as const) {
    it(`the old process neither parks nor skips a v3 event; it gives the lease up and a new process takes over (${mode})`, async () => {
      const { newer, older, positions } = await deploy();
      const transactional = mode === 'store transaction';
      const checkpoints = transactional ? new SqlCheckpointStore(older.db) : new InMemoryCheckpointStore();
      const deadLetters = transactional ? new SqlDeadLetterQueue(older.db) : new InMemoryDeadLetterQueue();
      const reported: SubscriptionErrorInfo[] = [];
      const oldLock = counting(new SqlLeaseLock(older.db, { owner: 'v1' }));
      const oldManager = manage(
        new SubscriptionManager({
          store: older,
          checkpoints,
          deadLetters,
          lock: oldLock.lock,
          pollIntervalMs: 10,
          lockRetryMs: 20,
          onError: (_, e) => void reported.push(e),
        }),
      );
      const oldSeen: number[] = [];
      const options = {
        name: 'ledger',
        retry: fastRetry,
        // Not a failure: stopOnError does not stop it either.
        stopOnError: true,
        ...(transactional ? { transaction: 'store' as const } : {}),
      };
      oldManager.subscribe((s) => void oldSeen.push(centsOf(s)), options);
      await oldManager.start();
      await waitFor(() => oldSeen.length === 2, 'the events before the v3 one');
      // It keeps coming back for the lease (and giving it up) while no newer process runs.
      await waitFor(() => oldLock.acquired() >= 4, 'the old process retrying', 30_000);
      expect(oldSeen).toEqual([100, 200]);
      expect(await deadLetters.list()).toEqual([]);
      expect((await checkpoints.load('ledger'))!.equals(positions[1]!)).toBe(true);
      const status = await oldManager.status('ledger');
      expect(status.state).not.toBe('failed');
      expect(status.deadLettered).toBe(0);
      const warnings = reported.filter((e) => e.kind === 'newer-version');
      expect(reported.filter((e) => e.kind !== 'newer-version')).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toBe(
        `ledger: Paid v3 at position ${positions[2]!.toString()} was written by a newer version of the app ` +
          '(this process knows up to v2); it waits and leaves the subscription to a process that runs the newer version.',
      );
      expect(status.recentErrors.filter((e) => e.kind === 'newer-version')).toHaveLength(1);

      const newManager = manage(
        new SubscriptionManager({
          store: newer,
          checkpoints,
          deadLetters,
          lock: new SqlLeaseLock(newer.db, { owner: 'v2' }),
          pollIntervalMs: 10,
          lockRetryMs: 20,
        }),
      );
      const newSeen: number[] = [];
      newManager.subscribe((s) => void newSeen.push(centsOf(s)), options);
      await newManager.start();
      await waitFor(
        async () => (await checkpoints.load('ledger'))?.equals(positions[3]!) === true,
        'the new process to reach the end',
        30_000,
      );
      expect(newSeen).toEqual([300, 400]);
      expect(oldSeen).toEqual([100, 200]);
      expect(await deadLetters.list()).toEqual([]);
      expect(reported.filter((e) => e.kind === 'newer-version')).toHaveLength(1);
    });
  }
});
