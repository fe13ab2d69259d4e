import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { TenantMismatchError } from '../../errors.js';
import { collect, conformanceRegistry, storeConformanceSuite } from '../../testing/conformance.js';
import { checkOpenTransactionHoldsBackLaterCommits } from '../../testing/never-skip-checks.js';
import { groupCommitSuite } from '../../testing/group-commit-suite.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { useRowLevelSecurityStores } from '../../test-support/row-level-security-stores.js';
import type { Position } from '../position.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { unpackPosition } from './postgres-statements.js';

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

await describeWithService('postgres', 'PostgresEventStore with group commit', () => {
  const open = async (connections = 8) => {
    const { url, drop } = await freshPostgresDatabase();
    const reopen = () =>
      PostgresEventStore.open({
        url,
        registry: conformanceRegistry,
        pool: { max: connections },
        groupCommit: true,
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
  storeConformanceSuite('PostgresEventStore (group commit)', () => open(), { pooled: open });
  it('holds back a later commit until an earlier open transaction commits, then returns both in order', async () => {
    const { store, teardown } = await open();
    try {
      await checkOpenTransactionHoldsBackLaterCommits(store);
    } finally {
      await teardown();
    }
  });
});
