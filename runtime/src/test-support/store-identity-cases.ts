/**
 * The store id a SQL database keeps (migration 0005), on every SQL store: a database copied,
 * renamed or restored under another name keeps the id its checkpoints carry. Each store's test
 * file runs these cases on its own databases.
 */
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import {
  EventStoreUnavailableError,
  InvalidArgumentError,
  PositionForeignError,
  StoreIdChangeRefusedError,
  StoreIdMismatchError,
} from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { Position } from '../store/position.js';
import { eventStoreMigrations } from '../store/sql/event-store-migrations.js';
import { EVENT_STORE_MIGRATION_TABLE } from '../store/sql/event-store-tables.js';
import { migrateOrThrow } from '../store/sql/run-migrations.js';
import { inspectStoreId, setStoreId } from '../store/sql/set-store-id.js';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';
import { SqlCheckpointStore } from '../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../subscriptions/sql/sql-dead-letter-queue.js';
import { SqlLeaseLock } from '../subscriptions/sql/sql-lease-lock.js';
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
      // The fix names the command, not SQL.
      expect((refused as Error).message).toContain(`eventsmith store-id set ${d.derivedId(restored)} --db <url>`);
      expect((refused as Error).message).not.toContain('update eventsmith_store_identity');
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
      expect((refused as Error).message).toContain(`\`eventsmith store-id set ${d.derivedId(old)} --db <url>\``);
    });
  });

  it('setStoreId: makes the database keep another id; refused while checkpoints carry the old one, unless they move too', async () => {
    const d = databases();
    const name = await d.create();
    const first = await withClosed(await d.open(name), async (store) => {
      const first = await writeCheckpointedEvents(store);
      await new SqlDeadLetterQueue(store.db).add(deadLetter(first));
      await new SqlCheckpointStore(store.db).reset('elsewhere', Position.of('x:another_store', 7));
      // Another store whose id differs only in case (MariaDB compares text case-insensitively).
      await new SqlCheckpointStore(store.db).reset('upper', Position.of(d.derivedId(name).toUpperCase(), 8));
      return first;
    });
    const store = await d.open(name);
    try {
      const oldId = d.derivedId(name);
      expect(await inspectStoreId(store.db)).toEqual({
        storeId: oldId,
        derivedStoreId: oldId,
        positions: [
          { table: 'checkpoints', storeId: oldId.toUpperCase(), count: 1 },
          { table: 'checkpoints', storeId: oldId, count: 1 },
          { table: 'checkpoints', storeId: 'x:another_store', count: 1 },
          { table: 'deadLetters', storeId: oldId, count: 1 },
        ],
      });
      expect(await setStoreId(store.db, oldId)).toMatchObject({ changed: false, previousStoreId: oldId });
      for (const bad of ['', ' shop', 'shop\n', 'x'.repeat(161)])
        await expect(setStoreId(store.db, bad)).rejects.toBeInstanceOf(InvalidArgumentError);
      const refused = await setStoreId(store.db, 'shop-events').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoreIdChangeRefusedError);
      expect(refused).toMatchObject({ code: 'STORE.ID_CHANGE_REFUSED', reason: 'positions', storedStoreId: oldId });
      expect((refused as Error).message).toContain(`1 checkpoint and 1 dead letter carry it`);
      expect((refused as Error).message).toContain('rewritePositions: true');
      expect((await inspectStoreId(store.db)).storeId).toBe(oldId);

      const lease = await new SqlLeaseLock(store.db).tryAcquire('summary');
      const busy = await setStoreId(store.db, 'shop-events', { rewritePositions: true }).catch((e: unknown) => e);
      expect(busy).toMatchObject({ code: 'STORE.ID_CHANGE_REFUSED', reason: 'leases', liveLeases: 1 });
      await lease!.release();

      expect(await setStoreId(store.db, 'shop-events', { rewritePositions: true })).toEqual({
        previousStoreId: oldId,
        storeId: 'shop-events',
        changed: true,
        rewritten: { checkpoints: 1, deadLetters: 1 },
        otherIds: [
          { table: 'checkpoints', storeId: oldId.toUpperCase(), count: 1 },
          { table: 'checkpoints', storeId: 'x:another_store', count: 1 },
        ],
      });
      expect((await new SqlCheckpointStore(store.db).load('summary'))?.toString()).toBe(`shop-events@${first.value}`);
      const [entry] = await new SqlDeadLetterQueue(store.db).list();
      expect(entry?.position.toString()).toBe(`shop-events@${first.value}`);
      expect((await new SqlCheckpointStore(store.db).load('elsewhere'))?.toString()).toBe('x:another_store@7');
      expect((await new SqlCheckpointStore(store.db).load('upper'))?.toString()).toBe(`${oldId.toUpperCase()}@8`);
    } finally {
      await store.close();
    }
    // Opened again, with the new id as its option or without one: the subscription resumes.
    for (const options of [{ storeId: 'shop-events' }, {}, { storeId: 'shop-events', migrate: false }])
      await withClosed(await d.open(name, options), async (reopened) => {
        expect(reopened.storeId).toBe('shop-events');
        await expectResumes(reopened);
      });
    await expect(d.open(name, { storeId: d.derivedId(name) })).rejects.toBeInstanceOf(StoreIdMismatchError);
  });

  it('setStoreId: makes a restored database keep the id its checkpoints carry, so the storeId option opens it', async () => {
    const d = databases();
    const name = await d.create();
    await withClosed(await d.open(name, { storeId: 'shop-events' }), writeCheckpointedEvents);
    const restored = await d.copy(name);
    // As if 0005 had seeded another id: the restored database keeps the id from its name.
    await withClosed(await d.open(restored), async (store) => {
      await store.db
        .updateTable('eventsmith_store_identity')
        .set({ store_id: d.derivedId(restored) })
        .execute();
    });
    await expect(d.open(restored, { storeId: 'shop-events' })).rejects.toBeInstanceOf(StoreIdMismatchError);
    await withClosed(await d.open(restored), async (store) => {
      // No record carries the kept id: nothing to move, nothing refused.
      expect(await setStoreId(store.db, 'shop-events')).toMatchObject({
        changed: true,
        rewritten: { checkpoints: 0, deadLetters: 0 },
        otherIds: [],
      });
    });
    await withClosed(await d.open(restored, { storeId: 'shop-events' }), expectResumes);
  });

  it('setStoreId and inspectStoreId on a database not migrated to 0005: not-migrated, nothing changed', async () => {
    const d = databases();
    const old = await d.create();
    await withClosed(await openPre0005(d, old), async (store) => {
      for (const attempt of [() => inspectStoreId(store.db), () => setStoreId(store.db, 'shop-events')]) {
        const refused = await attempt().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(EventStoreUnavailableError);
        expect(refused).toMatchObject({ reason: 'not-migrated' });
        expect((refused as Error).message).toContain('migration 0005_store_identity has not run');
      }
    });
  });
}

/** A dead letter of the event at `position`. */
function deadLetter(position: Position) {
  return {
    subscription: 'summary',
    eventId: '00000000-0000-4000-8000-000000000001',
    eventType: 'CounterOpened',
    streamId: 'Counter-1',
    position,
    storedAt: new Date(0),
    record: {
      eventId: '00000000-0000-4000-8000-000000000001',
      eventType: 'CounterOpened',
      eventVersion: 1,
      aggregateId: '1',
      aggregateType: 'Counter',
      aggregateVersion: 1,
      occurredAt: new Date(0).toISOString(),
      tenantId: null,
      actorId: null,
      correlationId: '00000000-0000-4000-8000-000000000002',
      causationId: null,
      metadata: {},
      data: { label: '1' },
    },
    error: 'Error: failed',
    attempts: 1,
  };
}
