import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { describeWithService, freshPostgresDatabase, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { ConcurrencyError, DuplicateEventError, TenantMismatchError } from '../../errors.js';
import { collect, conformanceRegistry, storeConformanceSuite } from '../../testing/conformance.js';
import { checkOpenTransactionHoldsBackLaterCommits } from '../../testing/never-skip-checks.js';
import { ConformanceNoted } from '../../testing/conformance-events.js';
import { newStream, noted, settleWithin } from '../../testing/store-conformance-context.js';
import type { DomainEvent } from '../../events/domain-event.js';
import type { AppendResult, StoredEvent } from '../event-store.js';
import { matchesExpectedVersion, type ExpectedVersion } from '../expected-version.js';
import type { Position } from '../position.js';
import { PostgresEventStore } from './postgres-event-store.js';
import { unpackPosition } from './postgres-statements.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Op {
  readonly stream: number;
  readonly expected: ExpectedVersion;
  readonly count: number;
  /** The database refuses this append's rows (a trigger raises). */
  readonly fail: boolean;
  /** Reuse the first event id of this earlier op: one of the two must fail as a duplicate. */
  readonly duplicateOf: number | undefined;
  /** Ticks to wait before appending, so appends arrive alone, together, or while a batch flies. */
  readonly delay: number;
}

const op: fc.Arbitrary<Op> = fc.record({
  stream: fc.integer({ min: 0, max: 3 }),
  expected: fc.oneof(
    fc.constantFrom<ExpectedVersion>('any', 'no_stream', 'stream_exists'),
    fc.integer({ min: 0, max: 5 }),
  ),
  count: fc.integer({ min: 1, max: 3 }),
  fail: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  duplicateOf: fc.option(fc.nat(), { nil: undefined }),
  delay: fc.integer({ min: 0, max: 3 }),
});

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

    it('gives every concurrent append the outcome it would have had alone, and a tailing reader never skips', async () => {
      let shared = 0; // appends that committed in a transaction with another append
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 24 }), async (ops) => {
          const streams = Array.from({ length: 4 }, () => newStream());
          const batches: DomainEvent[][] = [];
          ops.forEach((o, i) => {
            const { aggregateId, aggregateType } = streams[o.stream]!;
            const events: DomainEvent[] = noted(streams[o.stream]!, o.count, {}, i * 10);
            if (o.duplicateOf !== undefined && i > 0) {
              const eventId = batches[o.duplicateOf % i]![0]!.eventId;
              events[0] = new ConformanceNoted({ text: 'again', n: i * 10 }, { aggregateId, aggregateType, eventId });
            }
            // After the duplicate: with one event, the refused payload takes the duplicate's place.
            if (o.fail)
              events[events.length - 1] = new ConformanceNoted({ text: 'fail', n: -1 }, { aggregateId, aggregateType });
            batches.push(events);
          });
          const start = await store.currentPosition();
          const ours = new Set(streams.map((s) => s.streamId));
          // The tailing reader: resumes after the last position it saw, until the writers are done.
          let writing = true;
          const received: StoredEvent[] = [];
          const reader = (async () => {
            let after: Position | null = start;
            for (;;) {
              const done = !writing;
              const page = await collect(store.readAll({ after, limit: 7 }));
              received.push(...page);
              if (page.length > 0) after = page[page.length - 1]!.position;
              else if (done) return;
              else await sleep(1);
            }
          })();
          const outcomes = await Promise.allSettled(
            ops.map(async (o, i) => {
              for (let t = 0; t < o.delay; t++) await new Promise((resolve) => setImmediate(resolve));
              return store.appendToStream(streams[o.stream]!.streamId, batches[i]!, { expectedVersion: o.expected });
            }),
          );
          writing = false;
          await reader;
          const feed = (await collect(store.readAll({ after: start }))).filter((e) => ours.has(e.streamId));

          // Never-skip: the reader got every event of the final feed once, in its order.
          expect(received.filter((e) => ours.has(e.streamId)).map((e) => e.event.eventId)).toEqual(
            feed.map((e) => e.event.eventId),
          );

          // Successful appends, in the order they committed, replay on a model of the streams.
          const byId = new Map(feed.map((e) => [e.event.eventId, e]));
          const succeeded = outcomes
            .map((outcome, i) => ({ outcome, i }))
            .filter(
              (x): x is { outcome: PromiseFulfilledResult<AppendResult>; i: number } =>
                x.outcome.status === 'fulfilled',
            )
            .sort((a, b) => (a.outcome.value.position.isAfter(b.outcome.value.position) ? 1 : -1));
          const versions = [0, 0, 0, 0];
          const reached = streams.map(() => new Set([0]));
          for (const { outcome, i } of succeeded) {
            const o = ops[i]!;
            const before = versions[o.stream]!;
            expect(
              matchesExpectedVersion(o.expected, before),
              `append ${i} expected ${o.expected}, was ${before}`,
            ).toBe(true);
            expect(o.fail).toBe(false);
            expect(outcome.value.nextVersion).toBe(before + o.count);
            const stored = batches[i]!.map((e) => byId.get(e.eventId));
            expect(stored.map((e) => [e?.streamId, e?.streamVersion])).toEqual(
              batches[i]!.map((_, k) => [streams[o.stream]!.streamId, before + k + 1]),
            );
            expect(stored[stored.length - 1]!.position.equals(outcome.value.position)).toBe(true);
            versions[o.stream] = before + o.count;
            reached[o.stream]!.add(versions[o.stream]!);
          }
          expect(feed).toHaveLength(succeeded.reduce((n, { i }) => n + ops[i]!.count, 0));
          for (const s of [0, 1, 2, 3]) expect(await store.getStreamVersion(streams[s]!.streamId)).toBe(versions[s]);

          // Refused appends wrote nothing, and were refused for a reason they would have met alone.
          const storedKeys = new Set(feed.map((e) => key(e.event)));
          outcomes.forEach((outcome, i) => {
            if (outcome.status === 'fulfilled') return;
            const o = ops[i]!;
            const reason: unknown = outcome.reason;
            expect(batches[i]!.filter((e) => storedKeys.has(key(e)))).toEqual([]);
            if (reason instanceof ConcurrencyError) {
              expect(matchesExpectedVersion(o.expected, reason.actual), `append ${i}: ${reason.message}`).toBe(false);
              expect([...reached[o.stream]!]).toContain(reason.actual);
            } else if (reason instanceof DuplicateEventError) {
              // Its id is stored, by the other append that carried it.
              expect(batches[i]!.map((e) => e.eventId)).toContain(reason.eventId);
              expect(byId.has(reason.eventId)).toBe(true);
            } else {
              expect(o.fail, `append ${i} failed with ${String(reason)}`).toBe(true);
              expect(String((reason as Error).message)).toContain('injected failure');
            }
          });
          const txs = new Map<string, number>();
          for (const { outcome } of succeeded) {
            const tx = unpackPosition(outcome.value.position.value).tx;
            txs.set(tx, (txs.get(tx) ?? 0) + 1);
          }
          for (const n of txs.values()) if (n > 1) shared += n;
        }),
        { numRuns: 60, interruptAfterTimeLimit: 120_000 },
      );
      expect(shared).toBeGreaterThan(0); // appends did share commits: the property tested group commit
    }, 300_000);

    it("does not hold an append behind another transaction's lock on a stream it does not write", async () => {
      const locked = newStream();
      const free = newStream();
      const other = newStream();
      await store.appendToStream(locked.streamId, noted(locked, 1), { expectedVersion: 'no_stream' });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let appended!: () => void;
      const holding = new Promise<void>((resolve) => (appended = resolve));
      // A transaction appends to `locked` and stays open until `free` has been written: it may wait
      // for work that appends outside it, as a request handler may.
      const transaction = store.transaction(async (tx) => {
        await tx.appendToStream(locked.streamId, noted(locked, 1, {}, 2), { expectedVersion: 1 });
        appended();
        await gate;
      });
      await holding;
      // In one turn: the first append goes alone, the next two form a batch together.
      const first = store.appendToStream(other.streamId, noted(other, 1), { expectedVersion: 'no_stream' });
      const blocked = store.appendToStream(locked.streamId, noted(locked, 1, {}, 3), { expectedVersion: 'any' });
      const unrelated = store.appendToStream(free.streamId, noted(free, 1), { expectedVersion: 'no_stream' });
      const [result] = await settleWithin('an append batched with one that waits on a lock', [unrelated]);
      expect(result!.status).toBe('fulfilled');
      release();
      await transaction;
      expect((await first).nextVersion).toBe(1);
      expect((await blocked).nextVersion).toBe(3);
    }, 60_000);
  });
}

await describeWithService('postgres', 'PostgresEventStore group commit under row-level security', () => {
  const role = uniqueName('es_gc_app');
  let drop: () => Promise<void>;
  let owner: PostgresEventStore;
  let app: PostgresEventStore;
  beforeAll(async () => {
    const fresh = await freshPostgresDatabase();
    drop = fresh.drop;
    owner = await PostgresEventStore.open({ url: fresh.url, registry: conformanceRegistry, rowLevelSecurity: true });
    await sql.raw(`create role ${role} login`).execute(owner.db);
    await sql
      .raw(`grant select, insert, update on eventsmith_events, eventsmith_streams, eventsmith_snapshots to ${role}`)
      .execute(owner.db);
    const url = new URL(fresh.url);
    url.username = role;
    app = await PostgresEventStore.open({
      url: url.toString(),
      registry: conformanceRegistry,
      rowLevelSecurity: true,
      migrate: false,
      groupCommit: true,
    });
  });
  afterAll(async () => {
    await app?.close();
    await owner?.close();
    await drop?.();
    const admin = new pg.Client({ connectionString: serviceUrl('postgres') });
    await admin.connect();
    await admin.query(`drop role if exists ${role}`);
    await admin.end();
  });

  it("runs each batched append as its own tenant: tenants' appends share commits, and none reaches another's stream", async () => {
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
    const store = await PostgresEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { max: connections },
      groupCommit: true,
    });
    return {
      store,
      teardown: async () => {
        await store.close();
        await drop();
      },
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

/** Tells apart events that share an id (the duplicates) by their payload number. */
function key(event: DomainEvent): string {
  return `${event.eventId}:${(event.data as { n: number }).n}`;
}
