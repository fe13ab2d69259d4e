import { afterEach, expect, it } from 'vitest';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import { SubscriptionManager } from './subscription-manager.js';
import { appendDeposits, registry, waitFor } from './test-support/fixtures.js';

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

  expect(await m1.retryDeadLetters()).toEqual({ resolved: 0, failed: 0, skipped: 1 });
  expect(await m1.retryDeadLetter(entry!.id)).toBe('skipped');
  expect(delivered['t1']).toEqual(['t1']);
  expect((await deadLetters.get(entry!.id))!.status).toBe('pending');

  t2Failing = false;
  expect(await m2.retryDeadLetter(entry!.id)).toBe('resolved');
  expect(delivered['t2']).toEqual(['t2', 't2']);
});
