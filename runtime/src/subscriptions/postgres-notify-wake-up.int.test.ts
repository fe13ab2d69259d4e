import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { withAppendHooks } from './append-hooks.js';
import { PostgresNotifyWakeUp, postgresNotifyHooks } from './postgres-notify-wake-up.js';
import { SubscriptionManager } from './subscription-manager.js';
import { appendDeposits, Deposited, registry, waitFor } from '../test-support/subscription-fixtures.js';

/**
 * A manager whose only wake-up is a PostgresNotifyWakeUp on `channel` (polling effectively off),
 * with one subscription, `name`, recording the deposited amounts it sees; `live()` starts it and
 * waits until it is live.
 */
function notifiedSubscription(
  store: ConstructorParameters<typeof SubscriptionManager>[0]['store'],
  url: string,
  name: string,
  channel?: string,
) {
  const wakeUp = new PostgresNotifyWakeUp({
    connect: () => new pg.Client({ connectionString: url }),
    ...(channel === undefined ? {} : { channel }),
  });
  const manager = new SubscriptionManager({ store, wakeUps: [wakeUp], pollIntervalMs: 600_000 });
  const seen: number[] = [];
  manager.subscribe((s) => void seen.push((s.event.data as { amount: number }).amount), { name });
  const live = async () => {
    expect(await manager.start()).toEqual([]);
    await waitFor(async () => (await manager.status(name)).state === 'live', 'live state');
  };
  return { manager, seen, live };
}

await describeWithService('postgres', 'PostgresNotifyWakeUp', () => {
  it('wakes live subscriptions on NOTIFY from committed appends, with polling effectively off', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const base = await PostgresEventStore.open({ url, registry, pool: { max: 4 } });
    const store = withAppendHooks(base, postgresNotifyHooks('es_test_events'));
    const { manager, seen, live } = notifiedSubscription(store, url, 'live', 'es_test_events');
    try {
      await live();
      await appendDeposits(store, 3);
      // Polling runs every 10 minutes: only the NOTIFY can deliver within the wait.
      await waitFor(() => seen.length === 3, 'notified delivery', 5_000);
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

  it('wakes on appends made by a plain PostgresEventStore in another connection pool, no wrapper, polling effectively off', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const reader = await PostgresEventStore.open({ url, registry, pool: { max: 2 } });
    // Another "process": its own pool, no append hooks.
    const writer = await PostgresEventStore.open({ url, registry, pool: { max: 2 }, migrate: false });
    const { manager, seen, live } = notifiedSubscription(reader, url, 'plain');
    try {
      await live();
      await appendDeposits(writer, 2);
      await waitFor(() => seen.length === 2, 'notified delivery of plain appends', 5_000);
      await writer.transaction(async (tx) => {
        await tx.appendToStream('Account-tx', [new Deposited({ amount: 3 }, { aggregateId: 'tx' })], {
          expectedVersion: 'no_stream',
        });
        await new Promise((r) => setTimeout(r, 100));
        expect(seen).toHaveLength(2); // delivered at commit, not before
      });
      await waitFor(() => seen.length === 3, 'delivery after commit', 5_000);
      expect(seen).toEqual([1, 2, 3]);
    } finally {
      await manager.stop();
      await writer.close();
      await reader.close();
      await drop();
    }
  });

  it('wakes on a notifyChannel with capitals: the channel name keeps its case on both sides', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry, pool: { max: 2 }, notifyChannel: 'Es_Mixed_Case' });
    const { manager, seen, live } = notifiedSubscription(store, url, 'mixed', 'Es_Mixed_Case');
    try {
      await live();
      await appendDeposits(store, 2);
      await waitFor(() => seen.length === 2, 'notified delivery on a mixed-case channel', 10_000);
      expect(seen).toEqual([1, 2]);
    } finally {
      await manager.stop();
      await store.close();
      await drop();
    }
  });

  it("notifies on the store's notifyChannel", async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({
      url,
      registry,
      pool: { max: 2 },
      notifyChannel: 'es_custom_channel',
    });
    const listener = new pg.Client({ connectionString: url });
    const channels: string[] = [];
    listener.on('notification', (message) => void channels.push(message.channel));
    try {
      await listener.connect();
      await listener.query('LISTEN es_custom_channel');
      await listener.query('LISTEN eventsmith_events');
      await appendDeposits(store, 1);
      await waitFor(() => channels.length > 0, 'a notification', 5_000);
      expect(channels).toEqual(['es_custom_channel']);
      await expect(PostgresEventStore.open({ url, registry, notifyChannel: 'bad-name; drop' })).rejects.toThrow(
        /notifyChannel must be a plain identifier/,
      );
    } finally {
      await listener.end();
      await store.close();
      await drop();
    }
  });

  it('notifies after commit, and not for a rolled-back transaction', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry, pool: { max: 2 } });
    const listener = new pg.Client({ connectionString: url });
    let notifications = 0;
    listener.on('notification', () => void notifications++);
    try {
      await listener.connect();
      await listener.query('LISTEN eventsmith_events');
      await expect(
        store.transaction(async (tx) => {
          await tx.appendToStream(
            'Account-rolled-back',
            [new Deposited({ amount: 1 }, { aggregateId: 'rolled-back' })],
            { expectedVersion: 'no_stream' },
          );
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      await store.transaction(async (tx) => {
        await tx.appendToStream('Account-kept', [new Deposited({ amount: 2 }, { aggregateId: 'kept' })], {
          expectedVersion: 'no_stream',
        });
      });
      await waitFor(() => notifications > 0, 'the committed transaction to notify', 5_000);
      await new Promise((r) => setTimeout(r, 200)); // room for a stray notification to show up
      expect(notifications).toBe(1);
    } finally {
      await listener.end();
      await store.close();
      await drop();
    }
  });
});
