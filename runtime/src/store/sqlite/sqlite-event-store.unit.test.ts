import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, conformanceRegistry, snapshotStoreConformanceSuite, storeConformanceSuite } from '../../testing/index.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';
import { checkWritesJoinTheTransaction } from '../sql/transaction-checks.js';
import { expect, it } from 'vitest';

async function fileStore() {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-'));
  const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: conformanceRegistry });
  return {
    store,
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeConformanceSuite('SqliteEventStore (file)', fileStore);

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
  const store = await SqliteEventStore.open({ filename: join(dir, 'paged.db'), registry: conformanceRegistry, pageSize: 2 });
  try {
    const s = newStream();
    await store.appendToStream(s.streamId, noted(s, 5), { expectedVersion: 'no_stream' });
    const versions = async (options: Parameters<typeof store.readStream>[1]) => (await collect(store.readStream(s.streamId, options))).map((e) => e.streamVersion);
    expect(await versions({})).toEqual([1, 2, 3, 4, 5]);
    expect(await versions({ direction: 'backward' })).toEqual([5, 4, 3, 2, 1]);
    expect(await versions({ from: 2, limit: 3 })).toEqual([2, 3, 4]);
    expect(await versions({ limit: 4 })).toEqual([1, 2, 3, 4]);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    expect((await collect(store.readAll({ limit: 4 }))).length).toBe(4);
    expect((await collect(store.readAll({ after: all[1]!.position, limit: 2 }))).map((e) => e.streamVersion)).toEqual([3, 4]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
