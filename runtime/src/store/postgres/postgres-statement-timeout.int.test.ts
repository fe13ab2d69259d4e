import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { EventStoreUnavailableError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { PostgresEventStore } from './postgres-event-store.js';

await describeWithService('postgres', 'PostgresEventStore statement_timeout', () => {
  it('a read held up past statement_timeout stops on the server and is a retryable timeout', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { statement_timeout: 300 },
    });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      // Holds every read of the events table until this transaction ends: only the timeout can end the read.
      await admin.query('begin');
      await admin.query('lock table eventsmith_events in access exclusive mode');
      const error = await collect(store.readAll()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect(error).toMatchObject({ reason: 'timeout', retryable: true });
      expect((error as Error).cause).toMatchObject({ code: '57014' });
      const { rows } = await admin.query<{ running: number }>(
        "select count(*)::int as running from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and state = 'active'",
      );
      expect(rows[0]!.running).toBe(0);
      await admin.query('rollback');
      expect(await collect(store.readAll())).toEqual([]);
    } finally {
      await admin.end();
      await store.close();
      await drop();
    }
  });
});
