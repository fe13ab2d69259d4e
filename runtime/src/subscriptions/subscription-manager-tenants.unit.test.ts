import { afterEach, expect, it } from 'vitest';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import { Position } from '../store/position.js';
import { InMemoryCheckpointStore } from './checkpoint-store.js';
import { DeadLetterEntryNotFoundError, SubscriptionConfigError } from './subscription-errors.js';
import { InMemorySubscriptionLock, type SubscriptionLock } from './subscription-lock.js';
import { SubscriptionManager } from './subscription-manager.js';
import { appendDeposits, Deposited, feed, registry, waitFor } from '../test-support/subscription-fixtures.js';

const managers: SubscriptionManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop(1000)));
});

it("a tenant view's manager never redelivers another tenant's dead letter, even under the same subscription name", async () => {
  const base = new InMemoryEventStore({ registry });
  const deadLetters = new InMemoryDeadLetterQueue();
  const delivered: Record<string, (string | undefined)[]> = { t1: [], t2: [] };
  let t2Failing = true;
  const manager = (tenant: 't1' | 't2') => {
    const m = new SubscriptionManager({ store: base.forTenant(tenant), deadLetters, pollIntervalMs: 20 });
    m.subscribe(
      async ({ event }) => {
        delivered[tenant]!.push(event.tenantId);
        if (tenant === 't2' && t2Failing) throw new Error('mail server down');
      },
      { name: 'mail', retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
    );
    managers.push(m);
    return m;
  };
  const [m1, m2] = [manager('t1'), manager('t2')];
  await appendDeposits(base.forTenant('t1'), 1, { start: 1 });
  await appendDeposits(base.forTenant('t2'), 1, { start: 2 });
  await m1.start();
  await m2.start();
  await waitFor(async () => (await deadLetters.list({ status: 'pending' })).length === 1, "t2's event parked", 30_000);
  const [entry] = await deadLetters.list({ status: 'pending' });
  expect(entry!.record.tenantId).toBe('t2');

  // t1's manager works on t1's view of the queue: t2's entry is neither listed nor found.
  expect(await m1.deadLetters.list()).toEqual([]);
  expect((await m1.deadLetters.stats()).total).toBe(0);
  expect(await m1.retryDeadLetters()).toEqual({ resolved: 0, failed: 0, skipped: 0 });
  await expect(m1.retryDeadLetter(entry!.id)).rejects.toBeInstanceOf(DeadLetterEntryNotFoundError);
  expect((await m2.deadLetters.list()).map((e) => e.id)).toEqual([entry!.id]);
  expect(delivered['t1']).toEqual(['t1']);
  expect((await deadLetters.get(entry!.id))!.status).toBe('pending');

  t2Failing = false;
  expect(await m2.retryDeadLetter(entry!.id)).toBe('resolved');
  expect(delivered['t2']).toEqual(['t2', 't2']);
});

it('gives each tenant its own checkpoint and lock for one subscription name, and leaves the unscoped one alone', async () => {
  const base = new InMemoryEventStore({ registry });
  const checkpoints = new InMemoryCheckpointStore();
  const lock = new InMemorySubscriptionLock();
  // Interleaved, so a checkpoint shared by the two tenants would skip events of one of them.
  for (let i = 1; i <= 6; i++) {
    for (const tenant of ['t1', 't2']) {
      await base
        .forTenant(tenant)
        .appendToStream(`Account-${tenant}-${i}`, [new Deposited({ amount: i }, { aggregateId: `${tenant}-${i}` })], {
          expectedVersion: 'no_stream',
        });
    }
  }
  await checkpoints.reset('mail', Position.of('memory', 3)); // an unscoped manager's, from before
  const delivered: Record<string, string[]> = { t1: [], t2: [] };
  const manager = (tenant: 't1' | 't2') => {
    const m = new SubscriptionManager({
      store: base.forTenant(tenant),
      checkpoints,
      lock,
      pollIntervalMs: 20,
      lockRetryMs: 20,
    });
    m.subscribe(async ({ event }) => void delivered[tenant]!.push(event.aggregateId), { name: 'mail' });
    managers.push(m);
    return m;
  };
  const [m1, m2] = [manager('t1'), manager('t2')];
  await Promise.all([m1.start(), m2.start()]);
  await waitFor(() => delivered['t1']!.length >= 6 && delivered['t2']!.length >= 6, 'both tenants delivered', 30_000);
  await Promise.all([m1.pause(), m2.pause()]);
  for (const tenant of ['t1', 't2']) {
    expect(delivered[tenant]).toEqual([1, 2, 3, 4, 5, 6].map((i) => `${tenant}-${i}`));
    const own = await feed(base.forTenant(tenant));
    expect((await checkpoints.forTenant(tenant).load('mail'))?.toString()).toBe(own.at(-1)!.position.toString());
  }
  expect((await checkpoints.load('mail'))?.toString()).toBe(Position.of('memory', 3).toString());
  expect((await checkpoints.list()).map((c) => c.name)).toEqual(['mail']);
  expect((await checkpoints.forTenant('t1').list()).map((c) => [c.tenantId, c.name])).toEqual([['t1', 'mail']]);
}, 60_000);

it('refuses, on a tenant view, a checkpoint store, lock or dead-letter queue without tenant views', () => {
  const store = new InMemoryEventStore({ registry }).forTenant('t1');
  const inner = new InMemorySubscriptionLock();
  const lock: SubscriptionLock = { tryAcquire: (name) => inner.tryAcquire(name) };
  expect(() => new SubscriptionManager({ store, lock })).toThrow(SubscriptionConfigError);
  expect(() => new SubscriptionManager({ store: new InMemoryEventStore({ registry }), lock })).not.toThrow();
});
