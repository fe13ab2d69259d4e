import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { EventStoreUnavailableError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { PostgresEventStore } from './postgres-event-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await describeWithService('postgres', 'PostgresEventStore faults', () => {
  let url: string;
  let drop: () => Promise<void>;
  let store: PostgresEventStore;
  let admin: pg.Client;

  beforeEach(async () => {
    ({ url, drop } = await freshPostgresDatabase());
    store = await PostgresEventStore.open({ url, registry: conformanceRegistry });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterEach(async () => {
    await admin.end();
    await store.close();
    await drop();
  });

  /** Terminates the backend of this database matching `where` as soon as one shows up. */
  async function terminate(where: string): Promise<number> {
    for (let i = 0; i < 200; i++) {
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and ${where}`,
      );
      if (rows[0]) {
        await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
        return rows[0].pid;
      }
      await sleep(10);
    }
    throw new Error(`no backend matched ${where}`);
  }

  it('names the host, never the password, when the server is unreachable', async () => {
    const error = await PostgresEventStore.open({
      url: 'postgres://app:s3cret-pw@127.0.0.1:1/app',
      registry: conformanceRegistry,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    const { message, target } = error as EventStoreUnavailableError;
    expect(message).toContain('127.0.0.1:1');
    expect(message).not.toContain('s3cret-pw');
    expect(target).toBe('postgres://app:***@127.0.0.1:1/app');
  });

  it('writes nothing of a batch whose connection is killed while the append waits, and recovers', async () => {
    const s = newStream();
    await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
    // Hold the stream row so the append blocks inside its statement, then kill its backend.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('begin');
    await blocker.query('select * from eventsmith_streams where stream_id = $1 for update', [s.streamId]);
    const append = store
      .appendToStream(s.streamId, noted(s, 5, {}, 2), { expectedVersion: 1 })
      .catch((e: unknown) => e);
    await terminate(`wait_event_type = 'Lock'`);
    const error = await append;
    await blocker.query('rollback');
    await blocker.end();
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect((error as Error).message).toContain('127.0.0.1');
    expect(await store.getStreamVersion(s.streamId)).toBe(1);
    expect((await collect(store.readStream(s.streamId))).map((e) => e.streamVersion)).toEqual([1]);
    // The pool replaces the dead connection.
    const next = await store.appendToStream(s.streamId, noted(s, 2, {}, 2), { expectedVersion: 1 });
    expect(next.nextVersion).toBe(3);
  });

  it('writes nothing of a transaction whose connection is killed after its appends, before commit', async () => {
    const s = newStream();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const transaction = store
      .transaction(async (tx) => {
        await tx.appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
        await tx.sql.selectFrom('eventsmith_streams').selectAll().execute();
        await gate;
        await tx.sql.selectFrom('eventsmith_streams').selectAll().execute(); // the dead connection
      })
      .catch((e: unknown) => e);
    await terminate(`state = 'idle in transaction'`);
    release();
    expect(await transaction).toBeInstanceOf(EventStoreUnavailableError);
    expect(await store.getStreamVersion(s.streamId)).toBe(0);
    expect(await collect(store.readAll())).toEqual([]);
  });
});
