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
import { migrateSubscriptionTables } from './sql/subscription-tables.js';
import { SubscriptionManager } from './subscription-manager.js';
import type { SubscriptionErrorInfo } from './subscription-options.js';
import { waitFor } from '../test-support/subscription-fixtures.js';
import {
  appendBills,
  centsOf,
  collectPositions,
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
