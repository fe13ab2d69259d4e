import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import { defineUpcaster } from '../events/upcaster.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import type { Position } from '../store/position.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';
import { InMemoryCheckpointStore } from './checkpoint-store.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import { SqlCheckpointStore } from './sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from './sql/sql-dead-letter-queue.js';
import { migrateSubscriptionTables } from './sql/subscription-tables.js';
import { SubscriptionManager } from './subscription-manager.js';
import type { SubscriptionErrorInfo } from './subscription-options.js';
import { waitFor } from './test-support/fixtures.js';

// Version 1 as old code wrote it; the registry knows version 2 and an upcaster that refuses 13.
class PaidV1 extends defineEvent({ type: 'Paid', version: 1, aggregateType: 'Bill', schema: z.object({ amount: z.number().int() }) }) {}
class Paid extends defineEvent({ type: 'Paid', version: 2, aggregateType: 'Bill', schema: z.object({ cents: z.number().int() }) }) {}
class Mystery extends defineEvent({ type: 'Mystery', aggregateType: 'Bill', schema: z.object({}) }) {}
const upcasters = [
  defineUpcaster<{ amount: number }, { cents: number }>({
    eventType: 'Paid',
    fromVersion: 1,
    upcast: (data) => {
      if (data.amount === 13) throw new Error('unlucky amount');
      return { cents: data.amount * 100 };
    },
  }),
];
const readerRegistry = EventRegistry.create({ events: [Paid], upcasters });
/** What another service (or an older release) wrote with: it also knows Mystery. */
const writerRegistry = EventRegistry.create({ events: [Paid, Mystery], upcasters });

const fastRetry = { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Amounts 1..5 as v1 Paid events; `undecodable` amounts are written as Mystery (when `mystery`) or as 13. */
async function appendBills(writer: EventStore, undecodable: number, mystery: boolean): Promise<void> {
  for (let amount = 1; amount <= 5; amount++) {
    const event =
      amount !== undecodable
        ? new PaidV1({ amount }, { aggregateId: `b${amount}` })
        : mystery
          ? new Mystery({}, { aggregateId: `b${amount}` })
          : new PaidV1({ amount: 13 }, { aggregateId: `b${amount}` });
    await writer.appendToStream(`Bill-b${amount}`, [event], { expectedVersion: 'no_stream' });
  }
}

const centsOf = (s: StoredEvent) => (s.event as Paid).data.cents;

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
    const manager = manage(new SubscriptionManager({ store, deadLetters, checkpoints, pollIntervalMs: 10, onError: (_, e) => void reported.push(e) }));
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(centsOf(s)), { name: 'bills', retry: fastRetry, batchSize: 2 });
    await manager.start();
    await waitFor(() => seen.length === 4, 'the decodable events');
    expect(seen).toEqual([100, 200, 400, 500]);
    const [entry, ...more] = await deadLetters.list();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ subscription: 'bills', eventType: 'Paid', streamId: 'Bill-b3', attempts: 1, status: 'pending' });
    expect(entry!.record).toMatchObject({ eventVersion: 1, data: { amount: 13 } });
    expect(entry!.error).toMatch(/^UndecodableEventError: .*unlucky amount/);
    const positions = await collectPositions(store);
    expect(entry!.position.equals(positions[2]!)).toBe(true);
    await waitFor(async () => (await checkpoints.load('bills'))?.equals(positions[4]!) === true, 'checkpoint at the end');
    const status = await manager.status('bills');
    expect(status).toMatchObject({ state: 'live', deadLettered: 1, processed: 4, lagEvents: 0 });
    expect(status.recentErrors.map((e) => e.kind)).toEqual(['undecodable']);
    expect(reported.some((e) => e.kind === 'undecodable' && /parked in the dead-letter queue/.test(e.message))).toBe(true);
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
    await waitFor(async () => (await checkpoints.load('plain'))?.equals(positions[4]!) === true, 'checkpoint past the last event');
    expect(seen).toEqual([100, 200, 300, 400]);
    const [entry, ...more] = await deadLetters.list();
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ eventType: 'Paid', streamId: 'Bill-b5', record: { data: { amount: 13 } } });
  });
});

/** Every feed position, undecodable events included. */
async function collectPositions(store: EventStore): Promise<Position[]> {
  const positions: Position[] = [];
  let after: Position | null = null;
  for (;;) {
    try {
      for await (const stored of store.readAll({ after })) positions.push(stored.position);
      return positions;
    } catch (error) {
      if (!(error instanceof UndecodableEventError)) throw error;
      positions.push(error.position);
      after = error.position;
    }
  }
}
