import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  collect,
  conformanceRegistry,
  snapshotStoreConformanceSuite,
  storeConformanceSuite,
} from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';
import { checkWritesJoinTheTransaction } from '../../testing/transaction-checks.js';
import { storeCloseTests } from '../../testing/store-conformance-close.js';
import { describe, expect, it } from 'vitest';
import { SubscriptionManager } from '../../subscriptions/subscription-manager.js';
import { waitFor } from '../../test-support/subscription-fixtures.js';
import type { ReadAllOptions, StoredEvent } from '../event-store.js';
import { readFeedPage, readPage } from '../feed-page.js';
import { UndecodableEventError } from '../undecodable-event-error.js';
import {
  CONFORMANCE_AGGREGATE_TYPE,
  CONFORMANCE_OTHER_AGGREGATE_TYPE,
  ConformanceNoted,
  ConformanceOtherHappened,
  ConformanceTree,
  ConformanceVersionedV1,
} from '../../testing/conformance-events.js';

async function fileStore(groupCommit = true) {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-'));
  const reopen = () =>
    SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: conformanceRegistry, groupCommit });
  const store = await reopen();
  return {
    store,
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    reopen,
  };
}

storeConformanceSuite('SqliteEventStore (file)', () => fileStore());

describe('SqliteEventStore (file, group commit off)', () => {
  storeCloseTests(() => fileStore(false), undefined);
});

storeConformanceSuite('SqliteEventStore (:memory:)', async () => {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  return { store, teardown: () => store.close() };
});

snapshotStoreConformanceSuite('SqliteSnapshotStore', async () => {
  const { store, teardown } = await fileStore();
  return { store: new SqliteSnapshotStore(store.db), teardown };
});

it('SqliteEventStore: projection rows, store appends and snapshots inside transaction() join it', async () => {
  const { store, teardown } = await fileStore();
  try {
    await checkWritesJoinTheTransaction(store, new SqliteSnapshotStore(store.db));
  } finally {
    await teardown();
  }
});

it('SqliteEventStore: pages through streams and the feed by key, page boundaries included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-'));
  const store = await SqliteEventStore.open({
    filename: join(dir, 'paged.db'),
    registry: conformanceRegistry,
    pageSize: 2,
  });
  try {
    const s = newStream();
    await store.appendToStream(s.streamId, noted(s, 5), { expectedVersion: 'no_stream' });
    const versions = async (options: Parameters<typeof store.readStream>[1]) =>
      (await collect(store.readStream(s.streamId, options))).map((e) => e.streamVersion);
    expect(await versions({})).toEqual([1, 2, 3, 4, 5]);
    expect(await versions({ direction: 'backward' })).toEqual([5, 4, 3, 2, 1]);
    expect(await versions({ from: 2, limit: 3 })).toEqual([2, 3, 4]);
    expect(await versions({ limit: 4 })).toEqual([1, 2, 3, 4]);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    expect((await collect(store.readAll({ limit: 4 }))).length).toBe(4);
    expect((await collect(store.readAll({ after: all[1]!.position, limit: 2 }))).map((e) => e.streamVersion)).toEqual([
      3, 4,
    ]);

    // A filter listing several values reads a union of one branch per value, merged by position.
    const o = newStream(CONFORMANCE_OTHER_AGGREGATE_TYPE);
    const other = (n: number) => new ConformanceOtherHappened({ n }, { aggregateId: o.aggregateId });
    await store.appendToStream(o.streamId, [other(1), other(2)], { expectedVersion: 'no_stream' });
    await store.appendToStream(s.streamId, noted(s, 2, {}, 6), { expectedVersion: 5 });
    await store.appendToStream(o.streamId, [other(3)], { expectedVersion: 2 });
    const feed = (await collect(store.readAll())).map((e) => e.event.eventId);
    const ids = async (options: ReadAllOptions) => (await collect(store.readAll(options))).map((e) => e.event.eventId);
    for (const filter of [
      { eventTypes: ['ConformanceNoted', 'ConformanceOtherHappened'] },
      { aggregateTypes: [CONFORMANCE_AGGREGATE_TYPE, CONFORMANCE_OTHER_AGGREGATE_TYPE] },
    ]) {
      expect(await ids(filter)).toEqual(feed);
      expect(await ids({ ...filter, limit: 5 })).toEqual(feed.slice(0, 5));
      expect(await ids({ ...filter, after: all[2]!.position, limit: 3 })).toEqual(feed.slice(3, 6));
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('SqliteEventStore (:memory:): a subscription never delivers an event of a transaction that rolled back', async () => {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  // Counts the feed reads that have finished, so the test can wait for polls instead of sleeping.
  let feedReads = 0;
  async function* counted(reads: AsyncIterable<StoredEvent>): AsyncIterable<StoredEvent> {
    try {
      yield* reads;
    } finally {
      feedReads++;
    }
  }
  const watched = new Proxy(store, {
    get(target, key) {
      if (key === 'readAll') return (options?: ReadAllOptions) => counted(target.readAll(options));
      if (key === readFeedPage) {
        return (options: ReadAllOptions) => {
          try {
            return target[readFeedPage](options); // the subscription's page read
          } finally {
            feedReads++;
          }
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const polls = async (n: number) => {
    const target = feedReads + n;
    await waitFor(() => feedReads >= target, `${n} more feed reads`);
  };
  const manager = new SubscriptionManager({ store: watched, pollIntervalMs: 10 });
  try {
    const seen: string[] = [];
    manager.subscribe((stored) => void seen.push(stored.event.eventId), { name: 'tail' });
    const s = newStream();
    const [first, rolledBack, real] = [noted(s, 1)[0]!, noted(s, 1, {}, 2)[0]!, noted(s, 1, {}, 3)[0]!];
    await store.appendToStream(s.streamId, [first], { expectedVersion: 'no_stream' });
    await manager.start();
    await waitFor(() => seen.length === 1, 'the first event');
    const rollback = new Error('roll back');
    await expect(
      store.transaction(async (tx) => {
        await tx.appendToStream(s.streamId, [rolledBack], { expectedVersion: 1 });
        await polls(3); // the subscription polls while the transaction is open
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    const { position } = await store.appendToStream(s.streamId, [real], { expectedVersion: 1 });
    await waitFor(() => seen.includes(real.eventId) || seen.includes(rolledBack.eventId), 'a second delivery');
    await polls(3);
    expect(seen).toEqual([first.eventId, real.eventId]);
    expect((await manager.status('tail')).position?.equals(position)).toBe(true);
  } finally {
    await manager.stop(5_000);
    await store.close();
  }
});

it('SqliteEventStore (:memory:): each store is a database of its own', async () => {
  const one = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  const two = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  try {
    const s = newStream();
    await one.appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
    expect(await one.getStreamVersion(s.streamId)).toBe(2);
    expect(await two.getStreamVersion(s.streamId)).toBe(0);
    expect(await collect(two.readAll())).toEqual([]);
  } finally {
    await one.close();
    await two.close();
  }
});

it('SqliteEventStore: a subscription page read (readPage) gives what readAll gives, and stops at an undecodable event as it does', async () => {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry, pageSize: 50 });
  try {
    const s = newStream();
    const t = newStream();
    await store.appendToStream(s.streamId, noted(s, 30), { expectedVersion: 'no_stream' });
    await store.forTenant('t1').appendToStream(t.streamId, noted(t, 30), { expectedVersion: 'no_stream' });
    const ids = (events: readonly StoredEvent[]) => events.map((e) => `${e.event.eventId}@${e.position.toString()}`);
    const first = await collect(store.readAll({ limit: 1 }));
    for (const [view, options] of [
      [store, { limit: 50 }],
      [store, { limit: 7, after: first[0]!.position }],
      [store, { limit: 50, eventTypes: ['ConformanceNoted'], aggregateTypes: [s.aggregateType] }],
      [store, { limit: 0 }],
      [store, { limit: 50, eventTypes: [] }],
      [store.forTenant('t1'), { limit: 20 }],
      [store, { limit: 120 }], // more than a page: read through readAll
    ] as const) {
      const page = await readPage(view, options);
      expect(ids(page)).toEqual(ids(await collect(view.readAll(options))));
      if (options.limit <= 50) expect(view[readFeedPage](options)).toBeDefined();
    }
    expect(store[readFeedPage]({ limit: 51 })).toBeUndefined();

    const u = newStream();
    const [before] = noted(u, 1);
    // Upcasts to amountCents = Infinity, which the current schema refuses.
    const bad = new ConformanceVersionedV1({ amount: 1e307 }, { aggregateId: u.aggregateId });
    await store.appendToStream(u.streamId, [before!], { expectedVersion: 'no_stream' });
    const { position } = await store.appendToStream(u.streamId, [bad], { expectedVersion: 1 });
    const { position: start } = (await collect(store.readAll({ eventTypes: ['ConformanceNoted'] }))).at(-2)!;
    expect(ids(await readPage(store, { after: first[0]!.position, limit: 50 }))).toHaveLength(50);
    const stopped = await readPage(store, { after: start, limit: 50 });
    expect(stopped.map((e) => e.event.eventId)).toEqual([before!.eventId]); // ends the page before it
    const error = await readPage(store, { after: stopped[0]!.position, limit: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndecodableEventError); // first of the page: thrown
    expect((error as UndecodableEventError).position.equals(position)).toBe(true);
  } finally {
    await store.close();
  }
});

it('SqliteEventStore: stream reads, the feed and a feed filtered by several types return every column as written (rows read as one JSON array each)', async () => {
  const { store, teardown } = await fileStore();
  try {
    const s = newStream();
    const awkward = 'q"uote \\ back\nline\ttab \u0001 \u2028\u2029 é 😀 </script> {"x":1} [1,2]';
    const tree = {
      [awkward]: [awkward, 1e300, -1.5e-300, 12345678901234567000, 0.1, true, false, null, { '': {}, a: [] }],
    };
    const events = [
      new ConformanceNoted(
        { text: awkward, n: -7 },
        {
          aggregateId: s.aggregateId,
          tenantId: `t ${awkward}`,
          actorId: `a ${awkward}`,
          correlationId: `c ${awkward}`,
          causationId: `k ${awkward}`,
          metadata: { note: awkward, nested: { list: [1, 'two', null] } },
          occurredAt: new Date('1970-01-01T00:00:00.001Z'),
        },
      ),
      new ConformanceTree({ value: tree }, { aggregateId: s.aggregateId }),
      new ConformanceNoted(
        { text: '', n: 0 },
        { aggregateId: s.aggregateId, occurredAt: new Date(Date.UTC(9999, 11, 31)) },
      ),
    ];
    await store.appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
    const expected = events.map((e) => ({ ...e.toJSON(), data: e.data }));
    const seen = (read: StoredEvent[]) => read.map((r) => ({ ...r.event.toJSON(), data: r.event.data }));
    const forward = await collect(store.readStream(s.streamId));
    expect(seen(forward)).toEqual(expected.map((e, i) => ({ ...e, aggregateVersion: i + 1 })));
    expect(seen(await collect(store.readStream(s.streamId, { direction: 'backward' })))).toEqual(
      seen(forward).reverse(),
    );
    expect(seen(await collect(store.readAll()))).toEqual(seen(forward));
    // Two types: a union of one branch per type, wrapped to build the arrays, in position order.
    const filtered = await collect(store.readAll({ eventTypes: ['ConformanceTree', 'ConformanceNoted'] }));
    expect(seen(filtered)).toEqual(seen(forward));
    expect(filtered.map((r) => r.position)).toEqual(forward.map((r) => r.position));
    expect(forward.map((r) => [r.streamId, r.streamVersion, r.storedAt instanceof Date])).toEqual(
      forward.map((_, i) => [s.streamId, i + 1, true]),
    );
    expect(Object.isFrozen(forward[1]!.event.data)).toBe(true);
  } finally {
    await teardown();
  }
});
