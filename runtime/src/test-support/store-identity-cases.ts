/**
 * The store id a SQL database keeps (migration 0005), on every SQL store: a database copied,
 * renamed or restored under another name keeps the id its checkpoints carry. Each store's test
 * file runs these cases on its own databases.
 */
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { PositionForeignError, StoreIdMismatchError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { Position } from '../store/position.js';
import { eventStoreMigrations } from '../store/sql/event-store-migrations.js';
import { EVENT_STORE_MIGRATION_TABLE } from '../store/sql/event-store-tables.js';
import { migrateOrThrow } from '../store/sql/run-migrations.js';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';
import { SqlCheckpointStore } from '../subscriptions/sql/sql-checkpoint-store.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';
import { collect } from '../testing/collect.js';
import { CounterOpened } from './counter-aggregate.js';
import { waitFor } from './subscription-fixtures.js';

export type IdentityStore = EventStore & { readonly db: Kysely<any> };

export interface OpenIdentityStore {
  readonly storeId?: string;
  readonly migrate?: boolean;
  readonly checkMigrated?: boolean;
}

/** Databases of one dialect, each made by a case and removed by `cleanup`. */
export interface IdentityDatabases {
  readonly dialect: SqlDialectName;
  /** A new, empty database; returns its name. */
  create(): Promise<string>;
  /** A copy of the database `from` (closed) under a new name, as a backup restored; returns its name. */
  copy(from: string): Promise<string>;
  open(name: string, options?: OpenIdentityStore): Promise<IdentityStore>;
  /** The id a store derives from the database's name: `sqlite:<file name>`, `pg:<name>`, `mysql:<name>`. */
  derivedId(name: string): string;
  cleanup(): Promise<void>;
}

/** Appends two events and checkpoints "summary" at the first; returns the first's position. */
async function writeCheckpointedEvents(store: IdentityStore): Promise<Position> {
  await migrateSubscriptionTables(store.db);
  for (const id of ['1', '2'])
    await store.appendToStream(`Counter-${id}`, [new CounterOpened({ label: id })], { expectedVersion: 'no_stream' });
  let first: Position | undefined;
  await waitFor(
    async () => (first = (await collect(store.readAll({ limit: 1 })))[0]?.position) !== undefined,
    'the feed',
  );
  await new SqlCheckpointStore(store.db).save('summary', first!);
  return first!;
}

/** What a subscription resuming from the "summary" checkpoint reads: the second event. */
async function expectResumes(store: IdentityStore): Promise<void> {
  const after = await new SqlCheckpointStore(store.db).load('summary');
  let streams: string[] = [];
  await waitFor(
    async () => (streams = (await collect(store.readAll({ after }))).map((e) => e.streamId)).length > 0,
    'the event after the checkpoint',
  );
  expect(streams).toEqual(['Counter-2']);
}

/** A database as an eventsmith before 0005 left it: store tables up to 0004, no kept id. */
async function openPre0005(databases: IdentityDatabases, name: string): Promise<IdentityStore> {
  const store = await databases.open(name, { migrate: false, checkMigrated: false });
  const older = Object.fromEntries(
    Object.entries(eventStoreMigrations(databases.dialect)).filter(([migration]) => migration < '0005'),
  );
  await migrateOrThrow(store.db, older, EVENT_STORE_MIGRATION_TABLE);
  return store;
}

async function withClosed<T>(store: IdentityStore, fn: (store: IdentityStore) => Promise<T>): Promise<T> {
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function storeIdentityCases(databases: () => IdentityDatabases): void {
  it('keeps its store id in a database copied under another name: the subscription resumes from its checkpoint', async () => {
    const d = databases();
    const live = await d.create();
    const liveId = await withClosed(await d.open(live), async (store) => {
      await writeCheckpointedEvents(store);
      return store.storeId;
    });
    expect(liveId).toBe(d.derivedId(live));
    const restored = await d.copy(live);
    // As the app opens it (migrating) and as the CLI does (eventsmith subscriptions status, studio).
    for (const options of [{}, { migrate: false }]) {
      await withClosed(await d.open(restored, options), async (store) => {
        expect(store.storeId).toBe(liveId);
        await expectResumes(store);
      });
    }
  });

  it('gives a database restored under another name before 0005 the id its checkpoints carry', async () => {
    const d = databases();
    const old = await d.create();
    await withClosed(await openPre0005(d, old), writeCheckpointedEvents);
    const restored = await d.copy(old);
    await withClosed(await d.open(restored), async (store) => {
      expect(store.storeId).toBe(d.derivedId(old));
      await expectResumes(store);
    });
    await withClosed(await d.open(restored, { migrate: false }), async (store) => {
      expect(store.storeId).toBe(d.derivedId(old));
    });
  });

  it('gives a database before 0005 the id from its name when its checkpoints carry none or several ids', async () => {
    const d = databases();
    const mixed = await d.create();
    await withClosed(await openPre0005(d, mixed), async (store) => {
      await writeCheckpointedEvents(store);
      await new SqlCheckpointStore(store.db).reset('elsewhere', Position.of('pg:another_store', 7));
    });
    const empty = await d.create();
    await withClosed(await openPre0005(d, empty), async () => {});
    for (const name of [mixed, empty])
      await withClosed(await d.open(name), async (store) => expect(store.storeId).toBe(d.derivedId(name)));
  });

  it('keeps the storeId option a new database was opened with, and refuses another one with how to fix it', async () => {
    const d = databases();
    const name = await d.create();
    await withClosed(await d.open(name, { storeId: 'shop-events' }), writeCheckpointedEvents);
    const restored = await d.copy(name);
    await withClosed(await d.open(restored), async (store) => {
      expect(store.storeId).toBe('shop-events');
      await expectResumes(store);
    });
    await withClosed(await d.open(restored, { storeId: 'shop-events', migrate: false }), async (store) =>
      expect(store.storeId).toBe('shop-events'),
    );
    for (const migrate of [true, false]) {
      const refused = await d.open(restored, { storeId: d.derivedId(restored), migrate }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoreIdMismatchError);
      expect(refused).toMatchObject({
        code: 'STORE.ID_MISMATCH',
        optionStoreId: d.derivedId(restored),
        storedStoreId: 'shop-events',
      });
      expect((refused as Error).message).toContain(
        `keeps the store id "shop-events" (table eventsmith_store_identity), but was opened with storeId: "${d.derivedId(restored)}"`,
      );
      expect((refused as Error).message).toContain(`Leave the storeId option out to open it as "shop-events"`);
      expect((refused as Error).message).toContain(
        `update eventsmith_store_identity set store_id = '${d.derivedId(restored)}'`,
      );
    }
  });

  it('opens a database not migrated to 0005 under the id from its name, as before, and says how to keep the old id', async () => {
    const d = databases();
    const old = await d.create();
    await withClosed(await openPre0005(d, old), writeCheckpointedEvents);
    const restored = await d.copy(old);
    await withClosed(await d.open(restored, { migrate: false, checkMigrated: false }), async (store) => {
      expect(store.storeId).toBe(d.derivedId(restored));
      const after = await new SqlCheckpointStore(store.db).load('summary');
      const refused = await collect(store.readAll({ after })).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PositionForeignError);
      expect((refused as Error).message).toContain('run `eventsmith migrate --db <url>` if that migration has not run');
    });
  });
}
