import { sql } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createNonOwnerRole, type NonOwnerRole } from '@eventsmith/test/support/postgres-role';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import {
  collect,
  conformanceRegistry,
  snapshotStoreConformanceSuite,
  storeConformanceSuite,
} from '../../testing/conformance.js';
import { DuplicateEventError } from '../../errors.js';
import type { StoredEvent } from '../event-store.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { PostgresSnapshotStore } from './postgres-snapshot-store.js';
import { appendOneStatement, appendStatement } from './postgres-statements.js';
import { feedStatement } from './postgres-feed-statement.js';
import { EVENT_COLUMNS } from '../sql/event-rows.js';
import { TENANT_SETTING } from '../sql/migrations/rls-0001-tenant-policies.js';
import { checkReadAheadFeedSeesEveryEventOnce } from '../../testing/never-skip-checks.js';
import { checkCollidingAppendsNeedOneConnection } from '../../testing/pool-checks.js';
import { serverStoreFeedSuite } from '../../testing/server-store-suite.js';

async function freshStore(
  options: {
    layout?: { partitioned: { partitions?: number } };
    rowLevelSecurity?: boolean;
    pool?: { max: number; connectionTimeoutMillis?: number };
  } = {},
  connections = 8,
) {
  const { url, drop } = await freshPostgresDatabase();
  const open = () =>
    PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { max: connections },
      ...options,
    });
  const store = await open();
  return {
    store,
    teardown: async () => {
      await store.close();
      await drop();
    },
    reopen: open,
  };
}

await describeWithService('postgres', 'PostgresEventStore', () => {
  storeConformanceSuite('PostgresEventStore', () => freshStore(), {
    pooled: (connections) => freshStore({}, connections),
  });
  const partitioned = { layout: { partitioned: { partitions: 4 } } };
  storeConformanceSuite('PostgresEventStore (partitioned)', () => freshStore(partitioned), {
    modelRuns: 15,
    pooled: (connections) => freshStore(partitioned, connections),
  });
  snapshotStoreConformanceSuite('PostgresSnapshotStore', async () => {
    const { store, teardown } = await freshStore();
    return { store: new PostgresSnapshotStore(store.db), teardown };
  });
});

await describeWithService('postgres', 'PostgresEventStore feed and transactions', () => {
  serverStoreFeedSuite(
    () => freshStore(),
    (store) => new PostgresSnapshotStore(store.db),
  );
});

await describeWithService('postgres', 'PostgresEventStore on a pool of one connection', () => {
  for (const rowLevelSecurity of [false, true]) {
    it(`explains colliding appends without waiting for a second connection${rowLevelSecurity ? ' (row-level security)' : ''}`, async () => {
      // No timeout on waiting for a connection: a second one asked for would never come.
      const { store, teardown } = await freshStore({ rowLevelSecurity, pool: { max: 1, connectionTimeoutMillis: 0 } });
      try {
        await checkCollidingAppendsNeedOneConnection(store);
      } finally {
        await teardown();
      }
    });
  }
});

await describeWithService('postgres', 'PostgresEventStore plans on a new, never analyzed store', () => {
  // A connection keeps the generic plan it made of each named statement while the tables were
  // new and never analyzed (autovacuum off or behind) for as long as it lives, so that plan must
  // read by index however large the tables grow. force_generic_plan shows it from the first run.
  // With `rowLevelSecurity`, the store of a role the policies bind (not the tables' owner): the
  // policies add `tenant_id = current_setting(…)` to its every read.
  async function planningStore(rowLevelSecurity = false, layout?: { partitioned: { partitions: number } }) {
    const { url, drop } = await freshPostgresDatabase();
    const open = (at: string, migrate = true) =>
      PostgresEventStore.open({
        url: at,
        migrate,
        registry: conformanceRegistry,
        pool: { max: 1 }, // every statement on the connection whose plans are read
        groupCommit: false,
        notifyChannel: false,
        rowLevelSecurity,
        ...(layout ? { layout } : {}),
      });
    let role: NonOwnerRole | undefined;
    let store = await open(url);
    if (rowLevelSecurity) {
      await store.close();
      role = await createNonOwnerRole(url, 'es_plans', [
        'select, insert, update on eventsmith_events, eventsmith_streams',
      ]);
      store = await open(role.url, false);
    }
    await sql`set plan_cache_mode = force_generic_plan`.execute(store.db);
    return {
      store,
      /** The database as the tables' owner. */
      url,
      teardown: async () => {
        await store.close();
        await drop();
        await role?.drop();
      },
    };
  }
  /** The plans the store's connection keeps for its prepared statements whose text matches `like`. */
  async function plans(store: PostgresEventStore, like: string, values: (statement: string) => unknown[]) {
    const { rows } = await sql<{ name: string; statement: string }>`
      select name, statement from pg_prepared_statements where statement like ${like} order by name`.execute(store.db);
    const found: string[] = [];
    for (const { name, statement } of rows) {
      const literals = values(statement).map((v) => (v === null ? 'null' : pg.escapeLiteral(String(v))));
      const plan = await sql<{
        'QUERY PLAN': string;
      }>`explain (costs off) execute ${sql.id(name)}(${sql.raw(literals.join(', '))})`.execute(store.db);
      found.push(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    return found;
  }

  /** The plan of a tenant view's feed statement filtered by `eventType`, on the store's connection with `tenant` set. */
  async function rlsFeedPlan(store: PostgresEventStore, tenant: string, eventType: string): Promise<string> {
    const { text } = feedStatement(store.db, { none: false, tenantId: tenant, eventTypes: [eventType] }, [
      ...EVENT_COLUMNS,
      'tx_id',
      'position',
    ]);
    return store.db.transaction().execute(async (trx) => {
      await sql`select set_config(${TENANT_SETTING}, ${tenant}, true)`.execute(trx);
      await sql.raw(`prepare eventsmith_probe as ${text}`).execute(trx);
      const { rows } = await sql
        .raw<{ 'QUERY PLAN': string }>(
          `explain (costs off) execute eventsmith_probe('0', '0', 1000, ${pg.escapeLiteral(tenant)})`,
        )
        .execute(trx);
      await sql`deallocate eventsmith_probe`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
  }

  it("reads a stream page by (stream_id, version), a tenant view's too, never through the tenant's index", async () => {
    const { store, teardown } = await planningStore();
    try {
      const t1 = store.forTenant('t1');
      const streams = Array.from({ length: 50 }, () => newStream());
      for (const [i, s] of streams.entries()) {
        const owned = i % 3 === 0;
        await (owned ? t1 : store).appendToStream(s.streamId, noted(s, 4, owned ? { tenantId: 't1' } : {}), {
          expectedVersion: 'no_stream',
        });
      }
      for (const view of [store, t1]) {
        for (const direction of ['forward', 'backward'] as const) {
          expect(await collect(view.readStream(streams[0]!.streamId, { direction }))).toHaveLength(4);
        }
      }
      const found = await plans(store, '%from "eventsmith_events" where "stream_id" = $1%', (statement) =>
        statement.includes('$5')
          ? [streams[0]!.streamId, 1, 2147483647, 1001, 't1']
          : [streams[0]!.streamId, 1, 2147483647, 1001],
      );
      expect(found).toHaveLength(4); // forward and backward, of the store and of a tenant view
      for (const plan of found) {
        expect(plan).toMatch(/Index Scan (Backward )?using eventsmith_events_stream_version_key/);
        expect(plan).not.toMatch(/tenant_idx|Sort|Seq Scan/);
      }
    } finally {
      await teardown();
    }
  });

  it("appends one event through the stream row's key and the event id's index, outside a transaction and inside one", async () => {
    const { store, teardown } = await planningStore();
    try {
      const s = newStream();
      const t = newStream();
      for (const [expectedVersion, n] of [
        ['no_stream', 1],
        [1, 2],
        ['any', 3],
        ['stream_exists', 4],
      ] as const) {
        await store.appendToStream(s.streamId, noted(s, 1, {}, n), { expectedVersion });
        await store.transaction((tx) => tx.appendToStream(t.streamId, noted(t, 1, {}, n), { expectedVersion }));
      }
      const found = await plans(store, 'with %', (statement) => [
        s.streamId,
        1,
        4,
        null,
        null,
        ...(statement.includes('$17')
          ? ['e', 'T', 1, 'A', 'a', null, new Date().toISOString(), null, 'c', null, '{}', '{}']
          : []),
      ]);
      expect(found).toHaveLength(8); // four expectations, each alone and refusing (in a transaction)
      for (const plan of found) {
        expect(plan).not.toMatch(/Seq Scan|Bitmap/);
        // The stream row by key: an update's index scan, or an insert's conflict check on the key.
        expect(plan).toMatch(
          /Index Scan using eventsmith_streams_pkey|Conflict Arbiter Indexes: eventsmith_streams_pkey/,
        );
        if (plan.includes('CTE taken')) expect(plan).toContain('eventsmith_events_event_id_key');
      }
    } finally {
      await teardown();
    }
  });

  for (const variant of ['standard', 'partitioned', 'row-level security'] as const) {
    it(`reads a tenant view's feed filtered by event type by (tenant_id, event_type, tx_id, position) on a grown table (${variant})`, async () => {
      const { store, url, teardown } = await planningStore(
        variant === 'row-level security',
        variant === 'partitioned' ? { partitioned: { partitions: 4 } } : undefined,
      );
      try {
        // Grown but never analyzed: the plan of the tenant's index was a bitmap scan of every row of
        // the tenant, then a sort (1,000 events of a 100,000-event tenant: 39 ms against 0.5 ms).
        const owner = new pg.Client({ connectionString: url });
        await owner.connect();
        await owner.query(`insert into eventsmith_events (stream_id, version, event_id, event_type, event_version,
            aggregate_type, aggregate_id, tenant_id, occurred_at, correlation_id, metadata, data)
          select 'grown-' || (g % 1000), g / 1000 + 1, 'grown-' || g, 'T' || (g % 10), 1, 'A', 'a',
            case when g % 3 = 0 then 't1' else 't' || (g % 50) end, now(), 'c', '{}', '{}'
          from generate_series(0, 19999) as g`);
        await owner.end();
        const t1 = store.forTenant('t1');
        const s = newStream();
        await t1.appendToStream(s.streamId, noted(s, 2, { tenantId: 't1' }), { expectedVersion: 'no_stream' });
        expect(await collect(t1.readAll({ eventTypes: ['ConformanceNoted'] }))).toHaveLength(2);
        // Under row-level security a tenant view reads in a transaction with the tenant set, by an
        // unnamed statement: the same text, prepared here the same way.
        const found =
          variant === 'row-level security'
            ? [await rlsFeedPlan(store, 't1', 'ConformanceNoted')]
            : await plans(store, '%"event_type" = %"tenant_id" = %', () => ['0', '0', 1000, 't1']);
        expect(found).toHaveLength(1);
        // The page is the top Merge Append's child that selects from the events (the other reads the
        // flag, which under row-level security reads the tenant's index as it should).
        const page = found[0]!.split('\n  ->  ').find((part) => part.startsWith('Subquery Scan on p'));
        // The partitions' indexes are named by PostgreSQL after their columns.
        expect(page).toMatch(
          /Index Scan using eventsmith_events_(p\d+_tenant_id_event_type_tx_id_position|tenant_type)_idx/,
        );
        expect(page).not.toMatch(/Bitmap|->  Sort|eventsmith_events(_p\d+)?_tenant(_id_tx_id_position)?_idx /);
      } finally {
        await teardown();
      }
    });
  }

  it("checks a tenant view's event ids by their index inside a transaction under row-level security", async () => {
    const { store, teardown } = await planningStore(true);
    try {
      const t1 = store.forTenant('t1');
      const s = newStream();
      let version = 0;
      for (const expectedVersion of ['no_stream', 'any', 'stream_exists', 'exact'] as const) {
        for (const count of [1, 2]) {
          const expected = expectedVersion === 'exact' ? version : expectedVersion;
          await t1.transaction((tx) =>
            tx.appendToStream(s.streamId, noted(s, count, {}, version + 1), { expectedVersion: expected }),
          );
          version += count;
          if (expectedVersion === 'no_stream') break; // the stream exists now
        }
      }
      const stream = [s.streamId, 1, 4, 't1', 't1'];
      const event = ['e', 'T', 1, 'A', 'a', 't1', new Date().toISOString(), null, 'c', null, '{}', '{}'];
      const found = await plans(store, 'with taken %', (statement) =>
        statement.includes('unnest($6::text[])')
          ? [...stream, '{e}', ...Array<string>(11).fill('{}')] // twelve arrays, the ids one
          : [...stream, ...event],
      );
      expect(found).toHaveLength(7); // one event and two, each expectation (the new stream's once)
      for (const plan of found) {
        // The policy's tenant check could be served by the tenant's index: every event of the tenant.
        expect(plan).toContain('Index Scan using eventsmith_events_event_id_key');
        expect(plan).not.toMatch(/tenant_idx|Sort|Seq Scan|Bitmap/);
      }
    } finally {
      await teardown();
    }
  });
});

await describeWithService('postgres', 'PostgresEventStore round trips', () => {
  it('answers an idle readAll (nothing after the reader) with one statement', async () => {
    let statements = 0;
    class CountingClient extends pg.Client {}
    const query = CountingClient.prototype.query as (...args: unknown[]) => unknown;
    CountingClient.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      statements++;
      return query.apply(this, args);
    } as typeof CountingClient.prototype.query;
    const { url, drop } = await freshPostgresDatabase();
    // No NOTIFY after the append: it is sent in the background and would be counted as a read's.
    const store = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { max: 2, Client: CountingClient },
      notifyChannel: false,
    });
    try {
      statements = 0;
      expect(await collect(store.readAll())).toEqual([]);
      expect(statements).toBe(1);
      const s = newStream();
      const { position } = await store.appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
      statements = 0;
      expect(await collect(store.readAll({ after: position }))).toEqual([]);
      expect(statements).toBe(1);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('keeps one prepared statement per feed filter and settles on its generic plan, so idle polls are not planned anew', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry, pool: { max: 1 } });
    try {
      const s = newStream();
      const { position } = await store.appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
      for (let poll = 0; poll < 8; poll++) expect(await collect(store.readAll({ after: position }))).toEqual([]);
      expect(await collect(store.readAll({ eventTypes: ['ConformanceNoted'] }))).toHaveLength(3);
      const { rows } = await sql<{ generic_plans: string; custom_plans: string }>`
        select generic_plans, custom_plans from pg_prepared_statements where name like 'eventsmith_read_%' order by generic_plans desc`.execute(
        store.db,
      );
      expect(rows).toHaveLength(2); // the unfiltered feed and the filtered one
      expect(Number(rows[0]!.generic_plans)).toBeGreaterThan(0);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('notifies the first append at once and owes the later ones one notification, which close() sends', async () => {
    const { url, drop } = await freshPostgresDatabase();
    // An interval longer than the test: the owed notification can only come from close().
    const store = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      notifyChannel: 'es_throttle_test',
      notifyIntervalMs: 600_000,
    });
    const listener = new pg.Client({ connectionString: url });
    let notifications = 0;
    listener.on('notification', () => void notifications++);
    try {
      await listener.connect();
      await listener.query('LISTEN es_throttle_test');
      const s = newStream();
      await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
      await expect.poll(() => notifications).toBe(1); // leading edge
      for (let v = 1; v <= 3; v++)
        await store.appendToStream(s.streamId, noted(s, 1, {}, v + 1), { expectedVersion: v });
      await store.close();
      await expect.poll(() => notifications).toBe(2); // one for the three, sent by close()
    } finally {
      await store.close();
      await listener.end();
      await drop();
    }
  });

  it('reads the feed page after page while appends commit beside it: every event once, in order, none skipped (the next page is read ahead)', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry, pageSize: 2 });
    try {
      await checkReadAheadFeedSeesEveryEventOnce(store);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('notifies a channel named with capitals under that exact name', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry, notifyChannel: 'es_Mixed_Case' });
    const listener = new pg.Client({ connectionString: url });
    const channels: string[] = [];
    listener.on('notification', (message) => void channels.push(message.channel));
    try {
      await listener.connect();
      await listener.query('LISTEN "es_Mixed_Case"');
      await listener.query('LISTEN es_mixed_case');
      const s = newStream();
      await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
      await expect.poll(() => channels).toEqual(['es_Mixed_Case']);
    } finally {
      await store.close();
      await listener.end();
      await drop();
    }
  });

  it('refuses a notifyIntervalMs that is not a non-negative number', async () => {
    for (const notifyIntervalMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(
        PostgresEventStore.open({
          url: 'postgres://127.0.0.1:1/none',
          registry: conformanceRegistry,
          notifyIntervalMs,
        }),
      ).rejects.toThrow(/notifyIntervalMs/);
    }
  });

  it('reads the same instants whatever the session time zone', async () => {
    const { url, drop } = await freshPostgresDatabase();
    const utc = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { options: '-c TimeZone=UTC' },
    });
    const kolkata = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      migrate: false,
      pool: { options: '-c TimeZone=Asia/Kolkata' },
    });
    try {
      const s = newStream();
      const events = noted(s, 2);
      await utc.appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
      const instants = (read: StoredEvent[]) =>
        read.map((e) => [e.event.occurredAt.toISOString(), e.storedAt.toISOString()]);
      const expected = instants(await collect(utc.readStream(s.streamId)));
      expect(expected.map(([occurredAt]) => occurredAt)).toEqual(events.map((e) => e.occurredAt.toISOString()));
      expect(instants(await collect(kolkata.readStream(s.streamId)))).toEqual(expected);
      expect(instants(await collect(kolkata.readAll()))).toEqual(expected);
    } finally {
      await kolkata.close();
      await utc.close();
      await drop();
    }
  });
});

await describeWithService('postgres', 'PostgresEventStore appends inside transaction()', () => {
  for (const layout of [undefined, { partitioned: { partitions: 4 } }]) {
    it(`runs no subtransaction, refused appends included${layout ? ' (partitioned)' : ''}`, async () => {
      const { store, teardown } = await freshStore(layout ? { layout } : {});
      try {
        const streams = Array.from({ length: 10 }, () => newStream());
        const other = newStream();
        const [taken] = noted(other, 1);
        await store.appendToStream(other.streamId, [taken!], { expectedVersion: 'no_stream' });
        const tx = await store.transaction(async (tx) => {
          for (let round = 0; round < 10; round++) {
            for (const s of streams) {
              await tx.appendToStream(s.streamId, noted(s, 1, {}, round + 1), {
                expectedVersion: round === 0 ? 'no_stream' : round % 2 ? round : 'any',
              });
            }
          }
          // Refusals that leave the transaction usable write nothing either.
          await expect(
            tx.appendToStream(streams[1]!.streamId, [taken!], { expectedVersion: 10 }),
          ).rejects.toBeInstanceOf(DuplicateEventError);
          await expect(
            tx.appendToStream(streams[1]!.streamId, noted(streams[1]!, 1), { expectedVersion: 3 }),
          ).rejects.toThrow(/Concurrency conflict/);
          const { rows } = await sql<{ tx: string }>`select pg_current_xact_id()::text as tx`.execute(tx.sql);
          return BigInt(rows[0]!.tx);
        });
        // A row written inside a savepoint carries the subtransaction's xid as its xmin.
        const xmin = (tx % 2n ** 32n).toString();
        const tables = ['eventsmith_events', 'eventsmith_streams', ...(layout ? ['eventsmith_event_ids'] : [])];
        for (const table of tables) {
          const { rows } = await sql<{ xmin: string; n: number }>`
            select xmin::text as xmin, count(*)::int as n from ${sql.table(table)}
            where stream_id = any(${streams.map((s) => s.streamId)}) group by xmin order by n desc`.execute(store.db);
          expect(rows, table).toEqual([{ xmin, n: table === 'eventsmith_streams' ? 10 : 100 }]);
        }
      } finally {
        await teardown();
      }
    });
  }

  for (const variant of ['standard', 'partitioned', 'row-level security'] as const) {
    it(`runs them as named statements on the transaction's connection (${variant})`, async () => {
      const { store, teardown } = await freshStore(
        variant === 'partitioned'
          ? { layout: { partitioned: { partitions: 4 } }, pool: { max: 1 } }
          : { rowLevelSecurity: variant === 'row-level security', pool: { max: 1 } },
      );
      try {
        const view = variant === 'row-level security' ? store.forTenant('t1') : store;
        const [one, many] = [newStream(), newStream()];
        const prepared = await view.transaction(async (tx) => {
          await tx.appendToStream(one.streamId, noted(one, 1), { expectedVersion: 'any' });
          await tx.appendToStream(many.streamId, noted(many, 2), { expectedVersion: 'no_stream' });
          const { rows } = await sql<{ name: string }>`select name from pg_prepared_statements
            where statement like 'with taken as %' order by name`.execute(tx.sql);
          return rows.map((row) => row.name);
        });
        expect(prepared).toHaveLength(2);
        expect(await store.getStreamVersion(many.streamId)).toBe(2);
      } finally {
        await teardown();
      }
    });
  }

  for (const partitioned of [false, true]) {
    it(`looks event ids up in the unique index in generic plans made on empty tables${partitioned ? ' (partitioned)' : ''}`, async () => {
      const { store, teardown } = await freshStore(partitioned ? { layout: { partitioned: { partitions: 4 } } } : {});
      const table = partitioned ? 'eventsmith_event_ids' : 'eventsmith_events';
      const one = `'s', 1, null, 't', 't', 'e', 'T', 1, 'A', 'a', 't', now(), null, 'c', null, '{}', '{}'`;
      const many = `'s', 2, null, 't', 't', '{e,f}', '{T,T}', '{1,1}', '{A,A}', '{a,a}', '{t,t}', array[now(), now()],
        '{NULL,NULL}', '{c,c}', '{NULL,NULL}', '{"{}","{}"}', '{"{}","{}"}'`;
      const statements = (['visible', 'hidden-streams'] as const).flatMap((refuse) => [
        { text: appendOneStatement('any', true, partitioned, refuse), values: one },
        { text: appendStatement('any', true, partitioned, { refuse }), values: many },
      ]);
      try {
        // A generic plan is made once per connection and kept until the table's statistics change.
        const plans = await store.db.connection().execute(async (db) => {
          await sql`set plan_cache_mode = force_generic_plan`.execute(db);
          try {
            return await Promise.all(
              statements.map(async ({ text, values }, i) => {
                await sql.raw(`prepare eventsmith_probe_${i} as ${text}`).execute(db);
                const { rows } = await sql
                  .raw<{ 'QUERY PLAN': string }>(`explain execute eventsmith_probe_${i}(${values})`)
                  .execute(db);
                await sql.raw(`deallocate eventsmith_probe_${i}`).execute(db);
                return rows.map((row) => row['QUERY PLAN']).join('\n');
              }),
            );
          } finally {
            await sql`reset plan_cache_mode`.execute(db);
          }
        });
        for (const plan of plans) {
          expect(plan).toMatch(new RegExp(`Index (Only )?Scan using \\w+ on ${table}\\b`));
          expect(plan).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`));
        }
      } finally {
        await teardown();
      }
    });
  }

  for (const outcome of ['commits', 'rolls back'] as const) {
    it(`gives a typed error when a concurrent transaction writing the same event id ${outcome}`, async () => {
      const { store, teardown } = await freshStore();
      try {
        const [a, b, c] = [newStream(), newStream(), newStream()];
        const [event] = noted(a, 1);
        let appended!: () => void;
        const firstAppended = new Promise<void>((resolve) => (appended = resolve));
        let finish!: () => void;
        const finished = new Promise<void>((resolve) => (finish = resolve));
        const first = store.transaction(async (tx) => {
          await tx.appendToStream(a.streamId, [event!], { expectedVersion: 'no_stream' });
          appended();
          await finished;
          if (outcome === 'rolls back') throw new Error('rolled back');
        });
        await firstAppended;
        const seen: unknown[] = [];
        const second = store.transaction(async (tx) => {
          await tx.appendToStream(c.streamId, noted(c, 1), { expectedVersion: 'no_stream' });
          // Not visible to this transaction yet: the insert waits for the first transaction.
          seen.push(await tx.appendToStream(b.streamId, [event!], { expectedVersion: 'no_stream' }).catch((e) => e));
          seen.push(await tx.appendToStream(c.streamId, noted(c, 1, {}, 2), { expectedVersion: 1 }).catch((e) => e));
        });
        const outcomeOfSecond = second.then(
          () => 'committed',
          (e: unknown) => e,
        );
        await expect
          .poll(
            async () =>
              (
                await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
                  where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'transactionid'`.execute(
                  store.db,
                )
              ).rows[0]!.n,
            { timeout: 20_000 },
          )
          .toBe(1);
        finish();
        await first.catch(() => undefined);
        if (outcome === 'rolls back') {
          // Nothing stood in the way: the second transaction wrote the event.
          expect(await outcomeOfSecond).toBe('committed');
          expect(await store.getStreamVersion(b.streamId)).toBe(1);
          expect(await store.getStreamVersion(c.streamId)).toBe(2);
          return;
        }
        // PostgreSQL aborted the second transaction: its append, any later one and the
        // transaction itself fail with the same typed error, and it wrote nothing.
        const error = await outcomeOfSecond;
        expect(error).toBeInstanceOf(DuplicateEventError);
        expect(error).toMatchObject({ eventId: event!.eventId });
        expect((error as Error).message).toMatch(/concurrent transaction/);
        expect(seen).toEqual([error, error]);
        expect(await store.getStreamVersion(b.streamId)).toBe(0);
        expect(await store.getStreamVersion(c.streamId)).toBe(0);
        expect(await store.getStreamVersion(a.streamId)).toBe(1);
      } finally {
        await teardown();
      }
    });
  }
});
