import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import { conformanceRegistry } from '../../testing/conformance.js';
import { groupCommitSuite } from '../../testing/group-commit-suite.js';
import { collect } from '../../testing/collect.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import type { ExpectedVersion } from '../expected-version.js';
import { MysqlEventStore } from './mysql-event-store.js';

await describeWithService('mysql', 'MysqlEventStore group commit', () => {
  let store: MysqlEventStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await freshMysqlDatabase();
    drop = fresh.drop;
    store = await MysqlEventStore.open({ url: fresh.url, registry: conformanceRegistry, pool: { connectionLimit: 4 } });
    // Random failures inside the database: an event whose text is 'fail' is refused by a trigger,
    // which also records each event's LAST_INSERT_ID(): the last position its transaction took
    // from the allocator, which every append sharing the transaction sees.
    await sql`create table eventsmith_test_trx (event_id varchar(255) not null, taken bigint)`.execute(store.db);
    await sql
      .raw(
        `create trigger eventsmith_test_refuse before insert on eventsmith_events for each row begin
        if json_value(new.data, '$.text') = 'fail' then signal sqlstate '45000' set message_text = 'injected failure'; end if;
        insert into eventsmith_test_trx values (new.event_id, last_insert_id());
      end`,
      )
      .execute(store.db);
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  // Batches that commit go as one prepared compound statement on MariaDB: each member's version
  // (said by its expectation, or read back) and last position come from that statement's answer.
  it('gives every member of a committed batch its own version and last position, whatever its expectation', async () => {
    const kinds: ExpectedVersion[] = ['any', 'stream_exists', 1, 'no_stream'];
    for (let round = 0; round < 5; round++) {
      const streams = Array.from({ length: 8 }, () => newStream());
      await Promise.all(
        streams.map((stream, i) =>
          kinds[i % 4] === 'no_stream'
            ? undefined
            : store.appendToStream(stream.streamId, noted(stream), { expectedVersion: 'no_stream' }),
        ),
      );
      const results = await Promise.all(
        streams.map((stream, i) =>
          store.appendToStream(stream.streamId, noted(stream, 1 + (i % 3), {}, 2), { expectedVersion: kinds[i % 4]! }),
        ),
      );
      for (const [i, stream] of streams.entries()) {
        const events = await collect(store.readStream(stream.streamId));
        expect(results[i]!.nextVersion).toBe(events.length);
        expect(results[i]!.position.toString()).toBe(events.at(-1)!.position.toString());
      }
    }
  });

  groupCommitSuite(() => store, {
    runs: 40,
    appendConflicts: true,
    // An append shared its commit when another one's events saw the same allocation.
    sharedCommits: async (succeeded) => {
      const ids = succeeded.map(({ events }) => events[0]!.eventId);
      if (ids.length === 0) return 0;
      const { rows } = await sql<{ n: number }>`select count(distinct a.event_id) as n
        from eventsmith_test_trx a join eventsmith_test_trx b on b.taken = a.taken and b.event_id <> a.event_id
        where a.event_id in (${sql.join(ids)}) and b.event_id in (${sql.join(ids)})`.execute(store.db);
      return Number(rows[0]?.n ?? 0);
    },
    // Locks the stream row as a transaction that read it for update would.
    lockStream: async (tx, stream) => {
      await sql`select version from eventsmith_streams where stream_id = ${stream.streamId} for update`.execute(
        tx.sql as Transaction<unknown>,
      );
      return 1;
    },
  });
});
