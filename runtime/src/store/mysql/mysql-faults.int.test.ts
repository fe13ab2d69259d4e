import { createConnection, type Connection } from 'mysql2/promise';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import { EventStoreUnavailableError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { MysqlEventStore } from './mysql-event-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await describeWithService('mysql', 'MysqlEventStore faults', () => {
  let url: string;
  let drop: () => Promise<void>;
  let store: MysqlEventStore;
  let admin: Connection;

  beforeEach(async () => {
    ({ url, drop } = await freshMysqlDatabase());
    store = await MysqlEventStore.open({ url, registry: conformanceRegistry });
    admin = await createConnection(url);
  });
  afterEach(async () => {
    await admin.end();
    await store.close();
    await drop();
  });

  it('names the host, never the password, when the server is unreachable', async () => {
    const error = await MysqlEventStore.open({
      url: 'mysql://app:s3cret-pw@127.0.0.1:1/app',
      registry: conformanceRegistry,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('s3cret-pw');
  });

  it('writes nothing of a batch whose connection is killed while the append waits, and recovers', async () => {
    const s = newStream();
    await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
    const blocker = await createConnection(url);
    await blocker.query('start transaction');
    await blocker.query('select * from eventsmith_streams where stream_id = ? for update', [s.streamId]);
    const append = store
      .appendToStream(s.streamId, noted(s, 5, {}, 2), { expectedVersion: 1 })
      .catch((e: unknown) => e);
    // A lone append of a few events on MariaDB is a prepared statement: its thread shows 'Execute'.
    let killed = false;
    for (let i = 0; i < 300 && !killed; i++) {
      const [rows] = await admin.query<any[]>(
        `select id from information_schema.processlist
         where db = database() and command in ('Query', 'Execute') and id <> connection_id() and info like '%update eventsmith_streams%'`,
      );
      if (rows[0]) {
        await admin.query(`kill connection ${Number(rows[0].id)}`);
        killed = true;
      } else await sleep(10);
    }
    await blocker.query('rollback');
    await blocker.end();
    expect(killed).toBe(true);
    const error = await append;
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect(await store.getStreamVersion(s.streamId)).toBe(1);
    expect((await collect(store.readStream(s.streamId))).length).toBe(1);
    const next = await store.appendToStream(s.streamId, noted(s, 2, {}, 2), { expectedVersion: 1 });
    expect(next.nextVersion).toBe(3);
  });

  it('reports a stream read whose connection is killed while it waits, and reads again (rows are taken as they arrive)', async () => {
    const s = newStream();
    await store.appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
    await collect(store.readStream(s.streamId)); // the read's statement is prepared on its connection
    const blocker = await createConnection(url);
    await blocker.query('lock tables eventsmith_events write');
    const read = collect(store.readStream(s.streamId)).catch((e: unknown) => e);
    let killed = false;
    for (let i = 0; i < 300 && !killed; i++) {
      const [rows] = await admin.query<any[]>(
        `select id from information_schema.processlist
         where db = database() and id <> connection_id() and info like 'select concat_ws%'`,
      );
      if (rows[0]) {
        await admin.query(`kill connection ${Number(rows[0].id)}`);
        killed = true;
      } else await sleep(10);
    }
    await blocker.query('unlock tables');
    await blocker.end();
    expect(killed).toBe(true);
    expect(await read).toBeInstanceOf(EventStoreUnavailableError);
    expect((await collect(store.readStream(s.streamId))).map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });
});
