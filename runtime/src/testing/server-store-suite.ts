// The feed and transaction tests of the server stores (PostgreSQL, MariaDB): called by their
// integration tests only.
import type { Kysely } from 'kysely';
import { it } from 'vitest';
import type { SnapshotStore } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';
import {
  checkOpenTransactionHoldsBackLaterCommits,
  checkTailingReaderSeesEveryEventOnce,
} from './never-skip-checks.js';
import { checkSnapshotsCloseWithTheStore } from './snapshot-close-checks.js';
import { useStore } from './store-conformance-context.js';
import { checkWritesJoinTheTransaction } from './transaction-checks.js';

/** A fresh, empty SQL store, and how to close it and drop what it made. */
export interface SqlStoreUnderTest<S extends EventStore & { readonly db: Kysely<any> }> {
  readonly store: S;
  readonly teardown: () => Promise<void>;
}

/**
 * Each on a fresh store from `factory`: writes made inside `transaction()` join it (with the
 * snapshot store `snapshots` makes on the store's database), that snapshot store closes with the
 * store, an open transaction holds back later
 * commits from the feed, and a tailing reader gets every event once under concurrent writers.
 *
 * @example
 * ```ts
 * serverStoreFeedSuite(() => freshStore(), (store) => new PostgresSnapshotStore(store.db));
 * ```
 */
export function serverStoreFeedSuite<S extends EventStore & { readonly db: Kysely<any> }>(
  factory: () => Promise<SqlStoreUnderTest<S>>,
  snapshots: (store: S) => SnapshotStore,
): void {
  const store = useStore(factory);

  it('joins projection rows, store appends and snapshots made inside transaction() to it', async () => {
    await checkWritesJoinTheTransaction(store(), snapshots(store()));
  });

  it('closes the snapshot store made on its db with it: saves in progress complete, later calls fail with EventStoreClosedError', async () => {
    await checkSnapshotsCloseWithTheStore(store(), snapshots(store()));
  });

  it('holds back a later commit until an earlier open transaction commits, then returns both in order', async () => {
    await checkOpenTransactionHoldsBackLaterCommits(store());
  });

  it('gives a tailing reader every event exactly once, in order, under concurrent writers with random delays', async () => {
    await checkTailingReaderSeesEveryEventOnce(store(), { writers: 12, appendsPerWriter: 25 });
  }, 120_000);
}
