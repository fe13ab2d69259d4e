import { expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import type { EventStore } from '../../store/event-store.js';
import { MysqlEventStore } from '../../store/mysql/mysql-event-store.js';
import { PostgresEventStore } from '../../store/postgres/postgres-event-store.js';
import { SubscriptionManager } from '../subscription-manager.js';
import { waitFor } from '../../test-support/subscription-fixtures.js';
import { SQL_TARGETS } from '../../test-support/sql-targets.js';
import {
  appendBills,
  centsOf,
  collectPositions,
  newerRegistry,
  PaidV1,
  PaidV3,
  readerRegistry,
  writerRegistry,
} from '../../test-support/undecodable-fixtures.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from './sql-dead-letter-queue.js';
import { SqlLeaseLock } from './sql-lease-lock.js';
import { migrateSubscriptionTables } from './subscription-tables.js';

for (const target of SQL_TARGETS) {
  if (target.service === undefined) continue; // SQLite: subscription-manager-undecodable.unit.test.ts
  const open = (url: string, registry: typeof readerRegistry): Promise<EventStore & { db: any }> =>
    target.dialect === 'postgres'
      ? PostgresEventStore.open({ url, registry, pool: { max: 4 } })
      : MysqlEventStore.open({ url, registry });

  await describeWithService(target.service, `SubscriptionManager on ${target.dialect}: undecodable events`, () => {
    it('an old process leaves an event of a newer schema version to a process that knows it (rolling deploy)', async () => {
      const { db, url, close } = await target.open('es_toonew_');
      await db.destroy().catch(() => undefined);
      const newer = await open(url, newerRegistry);
      const older = await open(url, readerRegistry);
      const managers: SubscriptionManager[] = [];
      try {
        await newer.appendToStream('Bill-b1', [new PaidV1({ amount: 1 }, { aggregateId: 'b1' })], {
          expectedVersion: 'no_stream',
        });
        await newer.appendToStream('Bill-b2', [new PaidV3({ cents: 200, currency: 'EUR' }, { aggregateId: 'b2' })], {
          expectedVersion: 'no_stream',
        });
        await migrateSubscriptionTables(older.db);
        const positions = await collectPositions(newer);
        const checkpoints = new SqlCheckpointStore(older.db);
        const deadLetters = new SqlDeadLetterQueue(older.db);
        const warnings: string[] = [];
        const run = async (store: EventStore & { db: any }, owner: string, seen: number[]) => {
          const manager = new SubscriptionManager({
            store,
            checkpoints,
            deadLetters,
            lock: new SqlLeaseLock(store.db, { owner }),
            pollIntervalMs: 20,
            lockRetryMs: 20,
            onError: (_, e) => void (e.kind === 'newer-version' ? warnings.push(e.message) : undefined),
          });
          managers.push(manager);
          manager.subscribe((s) => void seen.push(centsOf(s)), { name: 'bills', transaction: 'store' });
          await manager.start();
        };
        const oldSeen: number[] = [];
        await run(older, 'v1', oldSeen);
        await waitFor(() => oldSeen.length === 1 && warnings.length === 1, 'the old process to stop before v3', 20_000);
        expect((await checkpoints.load('bills'))!.equals(positions[0]!)).toBe(true);
        const newSeen: number[] = [];
        await run(newer, 'v2', newSeen);
        await waitFor(
          async () => (await checkpoints.load('bills'))?.equals(positions[1]!) === true,
          'the new process to apply the v3 event',
          20_000,
        );
        expect(oldSeen).toEqual([100]);
        expect(newSeen).toEqual([200]);
        expect(await deadLetters.list()).toEqual([]);
        expect(warnings).toHaveLength(1);
      } finally {
        for (const manager of managers) await manager.stop(1000);
        await older.close();
        await newer.close();
        await close().catch(() => undefined);
      }
    });

    it('parks an unknown-type event and a failing-upcaster event in store transactions, and moves past both', async () => {
      const { db, url, close } = await target.open();
      await db.destroy().catch(() => undefined);
      const writer = await open(url, writerRegistry);
      const reader = await open(url, readerRegistry);
      try {
        await appendBills(writer, 2, true); // amounts 1..5, a Mystery event instead of 2
        await writer.appendToStream('Bill-b6', [new PaidV1({ amount: 13 }, { aggregateId: 'b6' })], {
          expectedVersion: 'no_stream',
        });
        await migrateSubscriptionTables(reader.db);
        const checkpoints = new SqlCheckpointStore(reader.db);
        const deadLetters = new SqlDeadLetterQueue(reader.db);
        const manager = new SubscriptionManager({ store: reader, checkpoints, deadLetters, pollIntervalMs: 20 });
        const seen: number[] = [];
        manager.subscribe((s) => void seen.push(centsOf(s)), {
          name: 'bills',
          transaction: 'store',
          retry: { maxAttempts: 2, initialDelayMs: 1 },
        });
        await manager.start();
        const positions = await collectPositions(writer);
        await waitFor(
          async () => (await checkpoints.load('bills'))?.equals(positions.at(-1)!) === true,
          'checkpoint at the end',
          20_000,
        );
        await manager.stop();
        expect(seen).toEqual([100, 300, 400, 500]);
        const entries = await deadLetters.list();
        expect(entries).toHaveLength(2);
        const [mystery, unlucky] = [...entries].sort((a, b) => a.position.compare(b.position));
        expect(mystery).toMatchObject({
          subscription: 'bills',
          eventType: 'Mystery',
          streamId: 'Bill-b2',
          attempts: 1,
        });
        expect(mystery!.error).toMatch(/Unknown event type "Mystery"/);
        expect(mystery!.position.equals(positions[1]!)).toBe(true);
        expect(unlucky).toMatchObject({
          eventType: 'Paid',
          streamId: 'Bill-b6',
          record: { eventVersion: 1, data: { amount: 13 } },
        });
        expect(unlucky!.error).toMatch(/unlucky amount/);
        expect(unlucky!.position.equals(positions[5]!)).toBe(true);
      } finally {
        await reader.close();
        await writer.close();
        await close().catch(() => undefined);
      }
    });
  });
}
