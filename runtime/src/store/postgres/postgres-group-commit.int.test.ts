import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { ConcurrencyError, TenantMismatchError } from '../../errors.js';
import { collect, conformanceRegistry, storeConformanceSuite } from '../../testing/conformance.js';
import { checkOpenTransactionHoldsBackLaterCommits } from '../../testing/never-skip-checks.js';
import { groupCommitSuite } from '../../testing/group-commit-suite.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { useRowLevelSecurityStores } from '../../test-support/row-level-security-stores.js';
import type { ExpectedVersion } from '../expected-version.js';
import type { AppendResult } from '../event-store.js';
import type { Position } from '../position.js';
import { prepareAppend } from '../sql/prepare-append.js';
import { PostgresEventStore } from './postgres-event-store.js';
import {
  BATCH_APPEND,
  BATCH_APPEND_ONE,
  batchAppendOneParameters,
  batchAppendParameters,
  unpackPosition,
} from './postgres-statements.js';

const layouts = [
  ['', undefined],
  [' (partitioned)', { partitioned: { partitions: 4 } }],
] as const;

for (const [variant, layout] of layouts) {
  await describeWithService('postgres', `PostgresEventStore group commit${variant}`, () => {
    let store: PostgresEventStore;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const fresh = await freshPostgresDatabase();
      drop = fresh.drop;
      store = await PostgresEventStore.open({
        url: fresh.url,
        registry: conformanceRegistry,
        pool: { max: 4 },
        groupCommit: true,
        ...(layout ? { layout } : {}),
      });
      // Random failures inside the database: an event whose text is 'fail' is refused by a trigger.
      await sql`create function eventsmith_test_refuse() returns trigger language plpgsql as $$
      begin
        if new.data->>'text' = 'fail' then raise exception 'injected failure'; end if;
        return new;
      end $$`.execute(store.db);
      await sql`create trigger eventsmith_test_refuse before insert on eventsmith_events
      for each row execute function eventsmith_test_refuse()`.execute(store.db);
    });
    afterAll(async () => {
      await store?.close();
      await drop?.();
    });

    groupCommitSuite(() => store, {
      runs: 60,
      // Every member of a batch carries the shared transaction id in its position.
      sharedCommits: async (succeeded) => {
        const txs = new Map<string, number>();
        for (const { result } of succeeded) {
          const tx = unpackPosition(result.position.value).tx;
          txs.set(tx, (txs.get(tx) ?? 0) + 1);
        }
        return [...txs.values()].filter((n) => n > 1).reduce((sum, n) => sum + n, 0);
      },
      lockStream: async (tx, stream) => {
        await tx.appendToStream(stream.streamId, noted(stream, 1, {}, 2), { expectedVersion: 1 });
        return 2;
      },
    });
  });
}

await describeWithService('postgres', 'PostgresEventStore group commit under row-level security', () => {
  const stores = useRowLevelSecurityStores({
    registry: conformanceRegistry,
    role: 'es_gc_app',
    grants: ['select, insert, update on eventsmith_events, eventsmith_streams, eventsmith_snapshots'],
    app: { groupCommit: true },
  });

  it("runs each batched append as its own tenant: tenants' appends share commits, and none reaches another's stream", async () => {
    const { app } = stores();
    const tenants = ['t1', 't2', 't3'];
    const streams = new Map(tenants.map((t) => [t, newStream()]));
    for (const t of tenants)
      await app
        .forTenant(t)
        .appendToStream(streams.get(t)!.streamId, noted(streams.get(t)!, 1), { expectedVersion: 0 });
    const positions: Position[] = [];
    for (let round = 0; round < 10; round++) {
      // Each tenant appends to its own stream and tries another tenant's, all in one turn of the event loop.
      const own = tenants.map((t) =>
        app.forTenant(t).appendToStream(streams.get(t)!.streamId, noted(streams.get(t)!, 1, {}, round + 2), {
          expectedVersion: round + 1,
        }),
      );
      const foreign = tenants.map((t, i) => {
        const other = streams.get(tenants[(i + 1) % tenants.length]!)!;
        return app
          .forTenant(t)
          .appendToStream(other.streamId, noted(other, 1, {}, 100 + round), { expectedVersion: 'any' });
      });
      const [results, refused] = await Promise.all([Promise.all(own), Promise.allSettled(foreign)]);
      expect(results.map((r) => r.nextVersion)).toEqual(tenants.map(() => round + 2));
      positions.push(...results.map((r) => r.position));
      for (const outcome of refused) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(TenantMismatchError);
      }
    }
    for (const t of tenants) {
      const feed = await collect(app.forTenant(t).readAll());
      expect(feed.map((e) => [e.streamId, e.streamVersion])).toEqual(
        Array.from({ length: 11 }, (_, v) => [streams.get(t)!.streamId, v + 1]),
      );
    }
    // Appends of different tenants committed together.
    const txs = positions.map((p) => unpackPosition(p.value).tx);
    expect(new Set(txs).size).toBeLessThan(txs.length);
  });
});

// Group commit is the default, which postgres-event-store.int.test.ts runs the conformance suite
// on; here, every append in a transaction of its own.
await describeWithService('postgres', 'PostgresEventStore without group commit', () => {
  const open = async (connections = 8) => {
    const { url, drop } = await freshPostgresDatabase();
    const reopen = () =>
      PostgresEventStore.open({
        url,
        registry: conformanceRegistry,
        pool: { max: connections },
        groupCommit: false,
      });
    const store = await reopen();
    return {
      store,
      teardown: async () => {
        await store.close();
        await drop();
      },
      reopen,
    };
  };
  storeConformanceSuite('PostgresEventStore (groupCommit: false)', () => open(), { pooled: open });
  it('holds back a later commit until an earlier open transaction commits, then returns both in order', async () => {
    const { store, teardown } = await open();
    try {
      await checkOpenTransactionHoldsBackLaterCommits(store);
    } finally {
      await teardown();
    }
  });
});

/** The transaction id a successful append committed in. */
const txOf = (result: AppendResult) => unpackPosition(result.position.value).tx;

await describeWithService('postgres', 'PostgreSQL batch append statement', () => {
  let store: PostgresEventStore;
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await freshPostgresDatabase();
    drop = fresh.drop;
    store = await PostgresEventStore.open({ url: fresh.url, registry: conformanceRegistry });
    pool = new pg.Pool({ connectionString: fresh.url, max: 1 });
  });
  afterAll(async () => {
    await pool?.end();
    await store?.close();
    await drop?.();
  });

  const statements = [
    ['BATCH_APPEND', BATCH_APPEND, batchAppendParameters, (count: number) => count],
    ['BATCH_APPEND_ONE (one event per member)', BATCH_APPEND_ONE, batchAppendOneParameters, () => 1],
  ] as const;

  it.each(statements)(
    "%s looks up the members' stream rows by key, not by reading the whole table",
    async (name, statement, parameters) => {
      // As the batches' connections run it: a generic plan, made while the table is new and has
      // never been analyzed (nor, with autovacuum off, ever will be). Reading every stream row
      // would make each batch cost more as the store grows.
      const streams = Array.from({ length: 3 }, () => newStream());
      for (const s of streams) await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
      const appends = streams.map((s) =>
        prepareAppend(conformanceRegistry, s.streamId, noted(s, 1, {}, 10), { expectedVersion: 1 }, undefined),
      );
      const literal = (value: unknown) =>
        Array.isArray(value)
          ? pg.escapeLiteral(
              `{${value.map((x) => (x === null || x === undefined ? 'NULL' : `"${String(x).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`,
            )
          : pg.escapeLiteral(String(value));
      const client = await pool.connect();
      try {
        await client.query('set plan_cache_mode = force_generic_plan');
        const prepared = `plan_${name.split(' ')[0]!.toLowerCase()}`;
        await client.query(`prepare ${prepared} as ${statement}`);
        const { rows } = await client.query<{ 'QUERY PLAN': string }>(
          `explain (costs off) execute ${prepared}(${parameters(appends).map(literal).join(', ')})`,
        );
        await client.query(`deallocate ${prepared}`);
        const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        expect(plan).toContain('eventsmith_streams_pkey');
        expect(plan).not.toMatch(/Seq Scan on eventsmith_streams/);
      } finally {
        client.release();
      }
    },
  );
  it.each(statements)(
    "%s writes each member under its own expectation in one transaction; a refused member writes nothing and gets the stream's state",
    async (_, statement, parameters, eventCount) => {
      const existing = Array.from({ length: 6 }, () => newStream());
      for (const s of existing) await store.appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
      const owned = newStream();
      await store.forTenant('t1').appendToStream(owned.streamId, noted(owned, 1), { expectedVersion: 'no_stream' });
      const fresh = Array.from({ length: 5 }, () => newStream());
      // Each member: the stream, its event count, expectation, view tenant, and the stream's
      // state before (version, tenant) when the member is refused, or undefined when it is written.
      const members: [ReturnType<typeof newStream>, number, ExpectedVersion, string | undefined, unknown[]?][] = [
        [fresh[0]!, 2, 'no_stream', undefined],
        [fresh[1]!, 1, 0, undefined],
        [fresh[2]!, 1, 'any', undefined],
        [existing[0]!, 2, 'any', undefined],
        [existing[1]!, 1, 'stream_exists', undefined],
        [existing[2]!, 3, 2, undefined],
        // Refused: the stream exists, is missing, is at another version, is another tenant's.
        [existing[3]!, 1, 'no_stream', undefined, [2, null]],
        [fresh[3]!, 1, 'stream_exists', undefined, [null, null]],
        [fresh[4]!, 1, 3, undefined, [null, null]],
        [existing[4]!, 1, 1, undefined, [2, null]],
        [owned, 1, 'any', 't2', [1, 't1']],
        [existing[5]!, 1, 'any', 't2', [2, null]],
      ];
      const appends = members.map(([s, count, expectedVersion, view]) =>
        prepareAppend(conformanceRegistry, s.streamId, noted(s, eventCount(count), {}, 10), { expectedVersion }, view),
      );
      const { rows } = await pool.query<{
        version: number | null;
        position: string | null;
        tx: string;
        actual: number | null;
        actual_tenant: string | null;
      }>(statement, parameters(appends));
      expect(rows.map((r) => [r.version, r.actual, r.actual_tenant])).toEqual(
        members.map(([s, count, , , refused]) => {
          if (refused) return [null, ...refused];
          const before = existing.includes(s) ? 2 : 0;
          return [before + eventCount(count), before || null, null];
        }),
      );
      expect(new Set(rows.map((r) => r.tx)).size).toBe(1);
      for (const [i, [s]] of members.entries()) {
        const stored = await collect(store.readStream(s.streamId));
        const written = rows[i]!.version !== null;
        const before = written ? rows[i]!.version! - appends[i]!.records.length : (rows[i]!.actual ?? 0);
        expect(stored.map((e) => e.event.eventId)).toEqual([
          ...stored.slice(0, before).map((e) => e.event.eventId),
          ...(written ? appends[i]!.records.map((r) => r.eventId) : []),
        ]);
        expect(stored.map((e) => e.streamVersion)).toEqual(stored.map((_, v) => v + 1));
        if (written)
          expect(unpackPosition(stored.at(-1)!.position.value)).toEqual({
            tx: rows[i]!.tx,
            position: rows[i]!.position,
          });
      }
      // The feed holds the batch's events in member order, each member's in its own order.
      const feed = (await collect(store.readAll())).filter((e) => unpackPosition(e.position.value).tx === rows[0]!.tx);
      expect(feed.map((e) => e.event.eventId)).toEqual(
        appends.flatMap((a, i) => (rows[i]!.version !== null ? a.records.map((r) => r.eventId) : [])),
      );
    },
  );
});

await describeWithService('postgres', 'PostgresEventStore group commit, one statement per batch', () => {
  let store: PostgresEventStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await freshPostgresDatabase();
    drop = fresh.drop;
    store = await PostgresEventStore.open({ url: fresh.url, registry: conformanceRegistry, groupCommit: true });
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  /** Appends `appends` in one turn after a leader that finds the store quiet, so they form one batch. */
  const batch = async (appends: readonly [ReturnType<typeof newStream>, ExpectedVersion][]) => {
    const leader = newStream();
    const first = store.appendToStream(leader.streamId, noted(leader), { expectedVersion: 'no_stream' });
    const outcomes = await Promise.allSettled(
      appends.map(([s, expectedVersion], i) =>
        store.appendToStream(s.streamId, noted(s, 1, {}, 100 + i), { expectedVersion }),
      ),
    );
    await first;
    return outcomes;
  };

  it('gives members of mixed expectations, a conflicting one among them, each its own outcome, the rest one commit', async () => {
    const [a, b, c, d] = Array.from({ length: 4 }, () => newStream());
    for (const s of [a!, b!, c!]) await store.appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
    const outcomes = await batch([
      [a!, 2],
      [b!, 1], // stale
      [c!, 'stream_exists'],
      [d!, 'no_stream'],
      [a!, 'any'], // a second append to a: the next batch
      [newStream(), 'any'],
      [newStream(), 0],
      [newStream(), 'stream_exists'], // missing
    ]);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.nextVersion : o.reason.constructor))).toEqual([
      3,
      ConcurrencyError,
      3,
      1,
      4,
      1,
      1,
      ConcurrencyError,
    ]);
    expect([
      (outcomes[1] as PromiseRejectedResult).reason.actual,
      (outcomes[7] as PromiseRejectedResult).reason.actual,
    ]).toEqual([2, 0]);
    const txs = outcomes.map((o) => (o.status === 'fulfilled' ? txOf(o.value) : undefined));
    expect(new Set([txs[0], txs[2], txs[3], txs[5], txs[6]]).size).toBe(1);
    expect(txs[4]).not.toBe(txs[0]);
    expect((await collect(store.readStream(b!.streamId))).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('writes appends to one stream made in one turn in their order, each in a batch of its own', async () => {
    const [a, b] = [newStream(), newStream()];
    await store.appendToStream(a.streamId, noted(a), { expectedVersion: 'no_stream' });
    const outcomes = await batch([
      [a, 1],
      [a, 2],
      [b, 'no_stream'],
      [a, 'any'],
      [a, 'stream_exists'],
    ]);
    const results = outcomes.map((o) => (o as PromiseFulfilledResult<AppendResult>).value);
    expect(results.map((r) => r.nextVersion)).toEqual([2, 3, 1, 4, 5]);
    const txs = results.map(txOf);
    expect(txs[0]).toBe(txs[2]); // the first append to a shares b's batch
    expect(new Set([txs[0], txs[1], txs[3], txs[4]]).size).toBe(4);
    const stored = await collect(store.readStream(a.streamId));
    expect(stored.slice(1).map((e) => e.position.value)).toEqual([0, 1, 3, 4].map((k) => results[k]!.position.value));
  });
});

await describeWithService('postgres', 'PostgreSQL lone appends (group commit on, one writer)', () => {
  let store: PostgresEventStore;
  let drop: () => Promise<void>;
  let url: string;
  beforeAll(async () => {
    const fresh = await freshPostgresDatabase();
    ({ drop, url } = fresh);
    store = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      notifyChannel: 'es_lone_test',
      notifyIntervalMs: 50,
    });
  });
  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it("waits for another transaction's lock as long as it would without group commit, past the 200 ms a batch waits", async () => {
    const s = newStream();
    await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const transaction = store.transaction(async (tx) => {
      await tx.appendToStream(s.streamId, noted(s, 1, {}, 2), { expectedVersion: 1 });
      holding();
      await new Promise((resolve) => setTimeout(resolve, 500)); // longer than a batch's lock timeout
    });
    await held;
    const blocked = await store.appendToStream(s.streamId, noted(s, 1, {}, 3), { expectedVersion: 'any' });
    await transaction;
    expect(blocked.nextVersion).toBe(3);
    await expect(store.appendToStream(s.streamId, noted(s, 1, {}, 4), { expectedVersion: 2 })).rejects.toBeInstanceOf(
      ConcurrencyError,
    );
  });

  it('notifies listeners after each commit: the first append at once, later ones within the interval', async () => {
    const listener = new pg.Client({ connectionString: url });
    const reader = new pg.Client({ connectionString: url });
    const s = newStream();
    // The stream's version as a listener reads it once notified: the notification followed the commit.
    const seen: number[] = [];
    listener.on('notification', () => {
      void reader
        .query<{ version: number }>('select version from eventsmith_streams where stream_id = $1', [s.streamId])
        .then(({ rows }) => seen.push(rows[0]?.version ?? 0));
    });
    try {
      // A quiet spell: the notification owed for the earlier tests' appends has gone.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await Promise.all([listener.connect(), reader.connect()]);
      await listener.query('LISTEN es_lone_test');
      await store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
      await expect.poll(() => seen, { timeout: 10_000 }).toEqual([1]);
      for (let v = 1; v <= 3; v++)
        await store.appendToStream(s.streamId, noted(s, 1, {}, v + 1), { expectedVersion: v });
      await expect.poll(() => seen.at(-1), { timeout: 10_000 }).toBe(4);
    } finally {
      await listener.end();
      await reader.end();
    }
  });
});
