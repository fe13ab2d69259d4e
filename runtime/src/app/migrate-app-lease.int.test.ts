import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import type { EventStore } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import { rebuildProjection } from '../subscriptions/rebuild-projection.js';
import { listPendingRebuilds } from '../subscriptions/sql/pending-rebuilds.js';
import { SqlCheckpointStore } from '../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../subscriptions/sql/sql-dead-letter-queue.js';
import { SqlLeaseLock } from '../subscriptions/sql/sql-lease-lock.js';
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { ProjectionRebuildBusyError } from '../projections/projection-errors.js';
import { balanceProjection, createBalanceTables } from '../test-support/balance-projection.js';
import { appendDeposits, feed, waitFor } from '../test-support/subscription-fixtures.js';
import { openStore } from '../test-support/open-store.js';
import { SQL_TARGETS, type SqlTarget } from '../test-support/sql-targets.js';
import {
  migrateApp,
  ProjectionRebuildAfterMigrationError,
  projectionMigrationTable,
  type DomainMigrations,
} from './migrate-app.js';
import { ProjectionRunningError } from './refuse-lossy-while-running.js';

type SqlStore = EventStore & { db: Kysely<any> };

const CREATE = {
  '0001_create_balances': { up: (db: Kysely<any>) => createBalanceTables(db) },
};
/** A lossy migration, as the generator writes one for a retyped column: it empties the tables. */
const LOSSY = {
  ...CREATE,
  '0002_reset_balances': {
    rebuild: ['balances'],
    async up(db: Kysely<any>) {
      await db.deleteFrom('balances').execute();
      await db.deleteFrom('handled').execute();
    },
  },
};
const before: DomainMigrations[] = [{ domain: 'Lease', projectionMigrations: CREATE }];
const after: DomainMigrations[] = [{ domain: 'Lease', projectionMigrations: LOSSY }];

/** A database where the app of the version before the lossy migration ran `balances` over 40 events. */
async function withProjectedStore(target: SqlTarget, fn: (url: string, store: SqlStore) => Promise<void>) {
  const { db, url, close } = await target.open('es_mlease');
  await db.destroy().catch(() => undefined);
  const store = await openStore(target.dialect, url);
  try {
    await migrateApp({ store, domains: before });
    await appendDeposits(store, 40, { accounts: 4, perAppend: 5 });
    const checkpoints = new SqlCheckpointStore(store.db);
    const deadLetters = new SqlDeadLetterQueue(store.db);
    const manager = new SubscriptionManager({ store, checkpoints, deadLetters, pollIntervalMs: 20 });
    manager.project(balanceProjection(target.dialect, 'app'));
    await manager.start();
    const last = (await feed(store)).at(-1)!.position;
    await waitFor(
      async () => (await checkpoints.load('balances'))?.equals(last) === true,
      'the projection caught up',
      30_000,
    );
    await manager.stop();
    await fn(url, store);
  } finally {
    await store.close();
    await close().catch(() => undefined);
  }
}

const balances = async (db: Kysely<any>) =>
  (await db.selectFrom('balances').selectAll().orderBy('account_id').execute()).map((r) => [
    r.account_id,
    Number(r.balance),
    Number(r.events),
  ]);
const applied = async (db: Kysely<any>) =>
  (await db.selectFrom(projectionMigrationTable('Lease')).select('name').orderBy('name').execute()).map((r) => r.name);

/** `migrateApp`'s `rebuild`, as `eventsmith migrate` does it: from outside the app, under the SQL lease. */
const rebuildWith =
  (target: SqlTarget, store: SqlStore, checkpoints = new SqlCheckpointStore(store.db)) =>
  (name: string) =>
    rebuildProjection({
      store,
      projection: balanceProjection(target.dialect, 'rebuild', { name }),
      db: store.db,
      checkpoints,
      lock: new SqlLeaseLock(store.db),
    });

for (const target of SQL_TARGETS) {
  const suite = (title: string, fn: () => void) =>
    target.service ? describeWithService(target.service, title, fn) : describe(title, fn);

  await suite(`migrateApp with rebuild while the projection runs elsewhere, on ${target.dialect}`, () => {
    it('refuses a lossy migration before applying anything while an app holds the lease; without rebuild it applies', async () => {
      await withProjectedStore(target, async (_url, store) => {
        const rows = await balances(store.db);
        expect(rows).toHaveLength(4);
        // An app of the previous version runs the projection.
        const app = new SqlLeaseLock(store.db, { ttlMs: 600_000 });
        const held = await app.tryAcquire('balances');
        expect(held).toBeDefined();
        const lease = (await app.holder('balances'))!;

        const error = await migrateApp({ store, domains: after, rebuild: rebuildWith(target, store) }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ProjectionRunningError);
        expect(error).toMatchObject({
          code: 'APP.PROJECTION_RUNNING',
          running: [{ domain: 'Lease', migration: '0002_reset_balances', projection: 'balances' }],
        });
        const message = (error as Error).message;
        expect(message).toMatch(
          /^Nothing was migrated: migration 0002_reset_balances of Lease empties or resets the table of balances/,
        );
        expect(message).toContain(`process ${app.owner} holds its lease until ${lease.expiresAt.toISOString()}`);
        expect(message).toContain('Stop the processes that run balances');
        expect(message).toContain('`eventsmith migrate --no-rebuild`');
        // Nothing applied: the migration is not recorded, the rows are intact, nothing is marked.
        expect(await applied(store.db)).toEqual(['0001_create_balances']);
        expect(await balances(store.db)).toEqual(rows);
        expect(await listPendingRebuilds(store.db)).toEqual([]);

        // Without a rebuild to follow (`--no-rebuild`), it applies and leaves the mark.
        const report = await migrateApp({ store, domains: after });
        expect(report.steps.at(-1)).toMatchObject({ applied: ['0002_reset_balances'], rebuild: ['balances'] });
        expect(report.pending).toEqual(['balances']);
        expect(await balances(store.db)).toEqual([]);

        // The rebuild is then refused, and says who holds the lease and until when.
        const refused = await migrateApp({ store, domains: after, rebuild: rebuildWith(target, store) }).catch(
          (e: unknown) => e,
        );
        expect(refused).toBeInstanceOf(ProjectionRebuildAfterMigrationError);
        const cause = (refused as ProjectionRebuildAfterMigrationError).failed[0]!.cause;
        expect(cause).toBeInstanceOf(ProjectionRebuildBusyError);
        expect((cause as Error).message).toContain(
          `another process is running it (process ${app.owner} holds its lease until ${lease.expiresAt.toISOString()}`,
        );
        expect((cause as Error).message).not.toContain('subscriptions status');

        await held!.release();
        const rebuilt = await migrateApp({ store, domains: after, rebuild: rebuildWith(target, store) });
        expect(rebuilt.rebuilt?.map((r) => r.projection)).toEqual(['balances']);
        expect(rebuilt.pending).toBeUndefined();
        expect(await balances(store.db)).toEqual(rows);
      });
    }, 120_000);

    it('two runs at once: the second waits for the first one’s rebuild and reports it done elsewhere, not failed', async () => {
      await withProjectedStore(target, async (url, store) => {
        const rows = await balances(store.db);
        const other = await openStore(target.dialect, url);
        try {
          // Run A's rebuild stops, holding the lease, until run B's rebuild has been refused.
          let entered!: () => void;
          const enteredA = new Promise<void>((resolve) => (entered = resolve));
          let openGate!: () => void;
          const gate = new Promise<void>((resolve) => (openGate = resolve));
          class GatedCheckpoints extends SqlCheckpointStore {
            override async load(name: string): Promise<Position | null> {
              entered();
              await gate;
              return super.load(name);
            }
          }
          const runA = migrateApp({
            store,
            domains: after,
            rebuild: rebuildWith(target, store, new GatedCheckpoints(store.db)),
          });
          await enteredA;
          let refused!: () => void;
          const refusedB = new Promise<void>((resolve) => (refused = resolve));
          const rebuildB = rebuildWith(target, other);
          const runB = migrateApp({
            store: other,
            domains: after,
            rebuild: async (name) => {
              try {
                return await rebuildB(name);
              } catch (error) {
                if (error instanceof ProjectionRebuildBusyError) refused();
                throw error;
              }
            },
          });
          const settledB = runB.then(
            (report) => ({ report }),
            (error: unknown) => ({ error }),
          );
          await Promise.race([refusedB, settledB]);
          openGate();
          const reportA = await runA;
          const b = await settledB;
          expect(reportA.rebuilt?.map((r) => r.projection)).toEqual(['balances']);
          expect(b).not.toHaveProperty('error');
          const reportB = (b as { report: Awaited<typeof runB> }).report;
          expect(reportB.steps.at(-1)!.applied).toEqual([]);
          expect(reportB.rebuiltElsewhere).toEqual(['balances']);
          expect(reportB.pending).toBeUndefined();
          expect(await listPendingRebuilds(store.db)).toEqual([]);
          expect(await balances(store.db)).toEqual(rows);
        } finally {
          await other.close();
        }
      });
    }, 120_000);
  });
}
