import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '../../../test/support/services.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { withAppendHooks } from './append-hooks.js';
import { PostgresNotifyWakeUp, postgresNotifyHooks } from './postgres-notify-wake-up.js';
import { SubscriptionManager } from './subscription-manager.js';
import { appendDeposits, registry, waitFor } from './test-support/fixtures.js';

await describeWithService('postgres', 'PostgresNotifyWakeUp', () => {
  it('wakes live subscriptions on NOTIFY from committed appends, with polling effectively off', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const base = await PostgresEventStore.open({ url, registry, pool: { max: 4 } });
    const store = withAppendHooks(base, postgresNotifyHooks('es_test_events'));
    const wakeUp = new PostgresNotifyWakeUp({ connect: () => new pg.Client({ connectionString: url }), channel: 'es_test_events' });
    const manager = new SubscriptionManager({ store, wakeUps: [wakeUp], pollIntervalMs: 600_000 });
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push((s.event.data as { amount: number }).amount), { name: 'live' });
    try {
      expect(await manager.start()).toEqual([]);
      await waitFor(async () => (await manager.status('live')).state === 'live', 'live state');
      const started = Date.now();
      await appendDeposits(store, 3);
      await waitFor(() => seen.length === 3, 'notified delivery', 5_000);
      expect(Date.now() - started).toBeLessThan(5_000);
      await store.transaction(async (tx) => {
        await appendDeposits({ ...store, appendToStream: tx.appendToStream } as typeof store, 1, { start: 4 });
        await new Promise((r) => setTimeout(r, 100));
        expect(seen).toHaveLength(3); // not before commit
      });
      await waitFor(() => seen.length === 4, 'delivery after commit', 5_000);
      expect(seen).toEqual([1, 2, 3, 4]);
    } finally {
      await manager.stop();
      await base.close();
      await drop();
    }
  });
});
