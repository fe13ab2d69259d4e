import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import type { EventStore } from '../../store/event-store.js';
import { SubscriptionManager } from '../subscription-manager.js';
import { balanceProjection, createBalanceTables, type BalanceTables } from '../../test-support/balance-projection.js';
import { appendDeposits, feed, waitFor, type Deposited } from '../../test-support/subscription-fixtures.js';
import { openStore } from '../../test-support/open-store.js';
import { SQL_TARGETS, type SqlTarget } from '../../test-support/sql-targets.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from './sql-dead-letter-queue.js';
import { migrateSubscriptionTables } from './subscription-tables.js';

const WORKER = fileURLToPath(new URL('../../test-support/projection-worker.ts', import.meta.url));

async function withStore(
  target: SqlTarget,
  fn: (store: EventStore & { db: Kysely<any> }, url: string) => Promise<void>,
): Promise<void> {
  const { db, url, close } = await target.open();
  await db.destroy().catch(() => undefined);
  const store = await openStore(target.dialect, url);
  try {
    await migrateSubscriptionTables(store.db);
    await createBalanceTables(store.db);
    await fn(store, url);
  } finally {
    await store.close();
    await close().catch(() => undefined);
  }
}

/** The read model a rebuild from scratch gives: per account, the sum and count of deposits. */
async function expectedBalances(store: EventStore) {
  const model = new Map<string, { balance: number; events: number }>();
  for (const stored of await feed(store, { eventTypes: ['Deposited'] })) {
    const e = stored.event as Deposited;
    const row = model.get(e.aggregateId) ?? { balance: 0, events: 0 };
    model.set(e.aggregateId, { balance: row.balance + e.data.amount, events: row.events + 1 });
  }
  return model;
}

/**
 * The whole feed once it shows all `count` appended events. A committed append is not at once in
 * the PostgreSQL feed: rows stay below the never-skip horizon until every older transaction still
 * in flight has ended (under load, briefly, one of another database). Taking "the last position"
 * from an earlier read gives a position the subscription may pass in one batch, or stop at.
 */
async function settledFeed(store: EventStore, count: number) {
  let all: Awaited<ReturnType<typeof feed>> = [];
  await waitFor(async () => (all = await feed(store)).length >= count, `all ${count} appended events in the feed`);
  expect(all).toHaveLength(count);
  return all;
}

async function actualBalances(db: Kysely<any>) {
  const rows = await db.selectFrom('balances').selectAll().execute();
  return new Map(rows.map((r) => [r.account_id as string, { balance: Number(r.balance), events: Number(r.events) }]));
}

function startWorker(target: SqlTarget, url: string, tag: string) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER, target.dialect, url, tag], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker ${tag} exited with ${code} before it was ready: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Resolves to how the worker ended: its exit code, or the signal that ended it, with its stderr. */
  const ended = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) =>
      resolve(`worker ${tag} exited with code ${code}, signal ${signal}; stderr:\n${stderr}`),
    ),
  );
  return { child, ready, exited, ended, stderr: () => stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function suite(target: SqlTarget) {
  it('runs a projection whose rows and checkpoint commit together; a failing event is rolled back and parked', async () => {
    await withStore(target, async (store) => {
      await appendDeposits(store, 60, { accounts: 4, perAppend: 3 });
      const checkpoints = new SqlCheckpointStore(store.db);
      const deadLetters = new SqlDeadLetterQueue(store.db);
      const manager = new SubscriptionManager({ store, checkpoints, deadLetters, pollIntervalMs: 20 });
      const inner = balanceProjection(target.dialect, 'in-process');
      let broken = true;
      manager.project<Kysely<BalanceTables>>(
        {
          ...inner,
          async handle(stored, context) {
            await inner.handle(stored, context); // writes, then fails: the writes must roll back
            if (broken && (stored.event as Deposited).data.amount === 13) throw new Error('thirteen');
          },
        },
        { batchSize: 8, retry: { maxAttempts: 2, initialDelayMs: 1 } },
      );
      await manager.start();
      await appendDeposits(store, 20, { accounts: 4, start: 61 });
      const last = (await settledFeed(store, 80)).at(-1)!;
      await waitFor(
        async () => (await checkpoints.load('balances'))?.equals(last.position) === true,
        'checkpoint at the end',
        20_000,
      ).catch(async (error: Error) => {
        throw new Error(
          `${error.message} (${last.position}); status: ${inspect(await manager.status('balances'), { depth: 3 })}`,
        );
      });
      const expected = await expectedBalances(store);
      const thirteen = expected.get('acc-1')!;
      expected.set('acc-1', { balance: thirteen.balance - 13, events: thirteen.events - 1 });
      expect(await actualBalances(store.db)).toEqual(expected);
      const handled = await store.db.selectFrom('handled').select('seq').execute();
      expect(handled.map((h) => Number(h.seq)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 80 }, (_, i) => i + 1).filter((n) => n !== 13),
      );
      const [parked, ...more] = await deadLetters.list();
      expect(more).toEqual([]);
      expect(parked).toMatchObject({ subscription: 'balances', attempts: 2, error: 'Error: thirteen' });

      // Re-delivered through the same handler and transaction: the rows appear, the entry is resolved.
      broken = false;
      expect(await manager.retryDeadLetters({ subscription: 'balances', by: 'test' })).toEqual({
        resolved: 1,
        failed: 0,
        skipped: 0,
      });
      expect(await actualBalances(store.db)).toEqual(await expectedBalances(store));
      expect(await deadLetters.get(parked!.id)).toMatchObject({ status: 'resolved', resolvedBy: 'test' });
      await manager.stop();
    });
  });

  it('delivers events appended continuously during catch-up once each, in global order', async () => {
    await withStore(target, async (store) => {
      await appendDeposits(store, 300, { accounts: 9, perAppend: 5 });
      const manager = new SubscriptionManager({
        store,
        checkpoints: new SqlCheckpointStore(store.db),
        deadLetters: new SqlDeadLetterQueue(store.db),
        pollIntervalMs: 10,
      });
      const seen: string[] = [];
      manager.subscribe((s) => void seen.push(s.event.eventId), { name: 'tail', batchSize: 16 });
      await manager.start();
      await Promise.all(
        [1, 2, 3].map((w) => appendDeposits(store, 100, { accounts: 13, start: 1000 * w, perAppend: 2 })),
      );
      const all = (await settledFeed(store, 600)).map((s) => s.event.eventId);
      await waitFor(() => seen.length >= all.length, 'every event', 30_000);
      await sleep(50);
      await manager.stop();
      expect(seen).toEqual(all);
    });
  });

  it('keeps the read model exactly once when its worker is killed at random points and restarted', async () => {
    await withStore(target, async (store, url) => {
      await appendDeposits(store, 3000, { accounts: 25, perAppend: 20 });
      const last = (await settledFeed(store, 3000)).at(-1)!;
      const checkpoints = new SqlCheckpointStore(store.db);
      let kills = 0;
      for (let run = 0; run < 4; run++) {
        const worker = startWorker(target, url, `w${run}`);
        await worker.ready;
        await sleep(200 + Math.floor(Math.random() * 600));
        worker.child.kill('SIGKILL');
        await worker.exited;
        kills++;
        if ((await checkpoints.load('balances'))?.equals(last.position)) break;
      }
      const final = startWorker(target, url, 'final');
      await final.ready;
      await waitFor(
        async () => (await checkpoints.load('balances'))?.equals(last.position) === true,
        'final catch-up',
        60_000,
      );
      final.child.kill('SIGTERM');
      expect(await final.exited, await final.ended).toBe(0);
      expect(kills).toBeGreaterThan(0);
      expect(await actualBalances(store.db)).toEqual(await expectedBalances(store));
      expect(
        Number(
          (
            await store.db
              .selectFrom('handled')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
      ).toBe(3000);
      expect(await new SqlDeadLetterQueue(store.db).list()).toEqual([]);
    });
  }, 120_000);

  it('lets only one of two worker processes run the subscription, and the other takes over when it is killed', async () => {
    await withStore(target, async (store, url) => {
      await appendDeposits(store, 2000, { accounts: 10, perAppend: 20 });
      const last = (await settledFeed(store, 2000)).at(-1)!;
      const checkpoints = new SqlCheckpointStore(store.db);
      const a = startWorker(target, url, 'a');
      const b = startWorker(target, url, 'b');
      await Promise.all([a.ready, b.ready]);
      await waitFor(
        async () => (await store.db.selectFrom('handled').select('worker').limit(1).execute()).length > 0,
        'first rows',
      );
      const first = (
        await store.db.selectFrom('handled').select('worker').orderBy('seq').limit(1).executeTakeFirstOrThrow()
      ).worker as string;
      const [holder, standby] = first === 'a' ? [a, b] : [b, a];
      await sleep(150);
      holder.child.kill('SIGKILL');
      await holder.exited;
      await waitFor(
        async () => (await checkpoints.load('balances'))?.equals(last.position) === true,
        'takeover catch-up',
        60_000,
      );
      standby.child.kill('SIGTERM');
      expect(await standby.exited, await standby.ended).toBe(0);
      const rows = await store.db.selectFrom('handled').select(['seq', 'worker']).orderBy('seq').execute();
      expect(rows).toHaveLength(2000);
      const workers = rows.map((r) => r.worker as string);
      const switchAt = workers.findIndex((w) => w !== first);
      expect(switchAt).toBeGreaterThan(0);
      expect(workers.slice(switchAt).every((w) => w !== first)).toBe(true); // never both, never back
      expect(await actualBalances(store.db)).toEqual(await expectedBalances(store));
    });
  }, 120_000);
}

for (const target of SQL_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `SubscriptionManager on ${target.dialect}`, () => suite(target));
  else describe(`SubscriptionManager on ${target.dialect}`, () => suite(target));
}
