import mysql2 from 'mysql2';
import { describe, expect, it, vi } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import {
  conformanceRegistry,
  snapshotStoreConformanceSuite,
  storeConformanceSuite,
} from '../../testing/conformance.js';
import { checkCollidingAppendsNeedOneConnection } from '../../testing/pool-checks.js';
import { checkTailingReaderSeesEveryEventOnce } from '../../testing/never-skip-checks.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { ConcurrencyError } from '../../errors.js';
import { serverStoreFeedSuite } from '../../testing/server-store-suite.js';
import { MysqlEventStore } from './mysql-event-store.js';
import { MysqlSnapshotStore } from './mysql-snapshot-store.js';
import { storeCloseTests } from '../../testing/store-conformance-close.js';

async function freshStore(connections = 8, groupCommit = true) {
  const { url, drop } = await freshMysqlDatabase();
  const reopen = () =>
    MysqlEventStore.open({
      url,
      registry: conformanceRegistry,
      pool: { connectionLimit: connections },
      groupCommit,
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
}

await describeWithService('mysql', 'MysqlEventStore', () => {
  storeConformanceSuite('MysqlEventStore', () => freshStore(), { pooled: freshStore });
  describe('MysqlEventStore without group commit', () => {
    storeCloseTests(
      () => freshStore(8, false),
      (connections) => freshStore(connections, false),
    );
    // Every append a lone one (on MariaDB one compound statement each), concurrent writers included.
    it('gives a tailing reader every event exactly once, in order, under concurrent writers with random delays', async () => {
      const { store, teardown } = await freshStore(8, false);
      try {
        await checkTailingReaderSeesEveryEventOnce(store, { writers: 12, appendsPerWriter: 25 });
      } finally {
        await teardown();
      }
    }, 120_000);
  });
  snapshotStoreConformanceSuite('MysqlSnapshotStore', async () => {
    const { store, teardown } = await freshStore();
    return { store: new MysqlSnapshotStore(store.db), teardown };
  });
});

await describeWithService('mysql', 'MysqlEventStore feed and transactions', () => {
  serverStoreFeedSuite(
    () => freshStore(),
    (store) => new MysqlSnapshotStore(store.db),
  );
});

await describeWithService('mysql', 'MysqlEventStore on a pool of one connection', () => {
  // An append to an existing stream finds its row with an update: when there is no row, what an
  // earlier append on the same connection left behind must not pass for this one's check.
  it('refuses an expected version of a missing stream right after a successful append on the connection', async () => {
    const { store, teardown } = await freshStore(1);
    try {
      for (const expectedVersion of [1, 'stream_exists'] as const) {
        const [written, missing] = [newStream(), newStream()];
        await store.appendToStream(written.streamId, noted(written, 2), { expectedVersion: 'no_stream' });
        await store.appendToStream(written.streamId, noted(written, 1, {}, 3), { expectedVersion: 2 });
        const alone = await store.appendToStream(missing.streamId, noted(missing), { expectedVersion }).catch((e) => e);
        expect(alone).toBeInstanceOf(ConcurrencyError);
        const inside = await store
          .transaction(async (tx) => {
            await tx.appendToStream(written.streamId, noted(written, 1, {}, 4), { expectedVersion: 3 });
            await tx.appendToStream(missing.streamId, noted(missing), { expectedVersion });
          })
          .catch((e: unknown) => e);
        expect(inside).toBeInstanceOf(ConcurrencyError);
        expect(await store.getStreamVersion(missing.streamId)).toBe(0);
        expect(await store.getStreamVersion(written.streamId)).toBe(3);
      }
    } finally {
      await teardown();
    }
  });

  // On MariaDB a lone append's position comes back in its OK packet as a tracked session variable
  // (`compoundTransaction`); a client that does not ask for session state gets it with a query.
  it('returns the position and version of every kind of append when the client does not track session state', async () => {
    const { url, drop } = await freshMysqlDatabase();
    for (const flags of [[], ['-SESSION_TRACK']]) {
      const store = await MysqlEventStore.open({
        url,
        registry: conformanceRegistry,
        pool: { connectionLimit: 1, flags },
      });
      try {
        const s = newStream();
        const results = [
          await store.appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' }),
          await store.appendToStream(s.streamId, noted(s, 1, {}, 3), { expectedVersion: 2 }),
          await store.appendToStream(s.streamId, noted(s, 3, {}, 4), { expectedVersion: 'any' }),
          await store.appendToStream(s.streamId, noted(s, 1, {}, 7), { expectedVersion: 'stream_exists' }),
        ];
        const stored: { position: { toString(): string }; streamVersion: number }[] = [];
        for await (const event of store.readStream(s.streamId)) stored.push(event);
        const last = (n: number) => stored[n - 1]!;
        expect(results.map((r) => [r.nextVersion, r.position.toString()])).toEqual(
          [2, 3, 6, 7].map((n) => [n, last(n).position.toString()]),
        );
      } finally {
        await store.close();
      }
    }
    await drop();
  });

  // On MariaDB a lone append of a few events is a prepared statement (`#write`); a server that
  // refuses to prepare it, for now (too many prepared statements) or for good (a kind of statement
  // it cannot prepare), gets the same append as text.
  it('writes an append the server cannot prepare as text', async () => {
    // Four appends: each tries to prepare while the refusal is for now, the first only when for good.
    for (const [errno, prepares] of [
      [1461, 4],
      [1295, 1],
      [1064, 1],
    ] as const) {
      const { store, teardown } = await freshStore(1);
      const refuse = vi.spyOn(mysql2.Connection.prototype, 'execute').mockImplementation(function (
        this: unknown,
        ...args: unknown[]
      ) {
        const callback = args.find((a) => typeof a === 'function') as (error: Error) => void;
        callback(Object.assign(new Error('cannot prepare'), { errno }));
        return undefined as never;
      });
      try {
        const s = newStream();
        const results = [
          await store.appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' }),
          await store.appendToStream(s.streamId, noted(s, 1, {}, 3), { expectedVersion: 2 }),
          await store.appendToStream(s.streamId, noted(s, 1, {}, 4), { expectedVersion: 'any' }),
        ];
        expect(results.map((r) => r.nextVersion)).toEqual([2, 3, 4]);
        const conflict = await store
          .appendToStream(s.streamId, noted(s, 1, {}, 5), { expectedVersion: 2 })
          .catch((e: unknown) => e);
        expect(conflict).toBeInstanceOf(ConcurrencyError);
        expect(await store.getStreamVersion(s.streamId)).toBe(4);
        expect(refuse).toHaveBeenCalledTimes(prepares);
      } finally {
        refuse.mockRestore();
        await teardown();
      }
    }
  });

  it('explains colliding appends without waiting for a second connection', async () => {
    const { store, teardown } = await freshStore(1);
    try {
      await checkCollidingAppendsNeedOneConnection(store);
    } finally {
      await teardown();
    }
  });
});
