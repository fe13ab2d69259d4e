import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { PostgresEventStore } from '../../store/postgres/postgres-event-store.js';
import { SubscriptionManager } from '../subscription-manager.js';
import { appendDeposits, registry, waitFor } from '../../test-support/subscription-fixtures.js';
import { PostgresAdvisoryLock } from './postgres-advisory-lock.js';

await describeWithService('postgres', 'PostgresAdvisoryLock', () => {
  it('with connect, holds each lock on a connection of its own: more subscriptions than pool connections all deliver', async () => {
    const { url, drop } = await freshPostgresDatabase();
    // No timeout on waiting for a pooled connection: one that never comes is a hang, not an error.
    const store = await PostgresEventStore.open({
      url,
      registry,
      pool: { max: 2, connectionTimeoutMillis: 0 },
      notifyChannel: false,
    });
    const lock = new PostgresAdvisoryLock(store.db, {
      connect: () => new pg.Client({ connectionString: url }),
      heartbeatMs: 100,
    });
    const manager = new SubscriptionManager({ store, lock, pollIntervalMs: 20 });
    try {
      const seen = new Map<string, number>();
      for (const name of ['a', 'b', 'c'])
        manager.subscribe(() => void seen.set(name, (seen.get(name) ?? 0) + 1), { name });
      await manager.start();
      await appendDeposits(store, 4);
      await waitFor(
        () => ['a', 'b', 'c'].every((name) => seen.get(name) === 4),
        'every subscription to deliver 4 events',
        20_000,
      );
    } finally {
      await manager.stop(5_000);
      await store.close();
      await drop();
    }
  });

  it('with connect: one holder per name, freed when released or when its connection dies', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry, pool: { max: 1 }, notifyChannel: false });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const connect = () => new pg.Client({ connectionString: url, application_name: 'advisory-lock-test' });
    const a = new PostgresAdvisoryLock(store.db, { connect, heartbeatMs: 50 });
    const b = new PostgresAdvisoryLock(store.db, { connect, heartbeatMs: 50 });
    try {
      const held = await a.tryAcquire('sub');
      expect(held?.held).toBe(true);
      expect(await b.tryAcquire('sub')).toBeUndefined();
      await held!.release();
      expect(held!.held).toBe(false);
      const taken = await b.tryAcquire('sub');
      expect(taken?.held).toBe(true);
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'advisory-lock-test' and pid <> pg_backend_pid()`,
      );
      await waitFor(() => !taken!.held, 'the holder to notice its connection died');
      const again = await a.tryAcquire('sub');
      expect(again?.held).toBe(true);
      await again!.release();
    } finally {
      await admin.end();
      await store.close();
      await drop();
    }
  });
});
