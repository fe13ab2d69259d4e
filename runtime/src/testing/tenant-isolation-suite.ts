import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { AggregateRoot } from '../aggregates/aggregate-root.js';
import type { DomainEvent } from '../events/domain-event.js';
import { toEventRecord } from '../events/event-record.js';
import { AggregateNotFoundError, TenantMismatchError } from '../errors.js';
import { everyNEvents, type SnapshotStore } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';
import { InMemoryCheckpointStore, type CheckpointStore } from '../subscriptions/checkpoint-store.js';
import type { DeadLetterQueue } from '../subscriptions/dead-letter-queue.js';
import { InMemoryDeadLetterQueue } from '../subscriptions/in-memory-dead-letter-queue.js';
import { DeadLetterEntryNotFoundError } from '../subscriptions/subscription-errors.js';
import { InMemorySubscriptionLock, type SubscriptionLock } from '../subscriptions/subscription-lock.js';
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { collect } from './collect.js';
import { CONFORMANCE_AGGREGATE_TYPE, ConformanceNoted } from './conformance-events.js';

/** What a tenant isolation factory gives the suite: a store and a snapshot store on one database. */
export interface TenantIsolationUnderTest {
  /**
   * The store (built with `conformanceRegistry`) whose tenant views the suite writes and reads
   * through. It may be a role that sees nothing without a tenant (PostgreSQL row-level security).
   */
  readonly store: EventStore;
  /** The snapshot store the repositories use, as the application would build it (not a tenant view). */
  readonly snapshots: SnapshotStore;
  /**
   * The checkpoint store, dead-letter queue and lock the subscription managers share, as the
   * application would build them (not tenant views). Default: in memory.
   */
  readonly subscriptions?: { checkpoints: CheckpointStore; deadLetters: DeadLetterQueue; lock: SubscriptionLock };
  readonly teardown?: () => Promise<void>;
}

/**
 * Tenant isolation, held as a property: for any interleaving of two tenants' writes (events,
 * snapshots, writes into the other tenant's aggregates), a tenant view returns nothing of the
 * other tenant through stream reads, the feed, `currentPosition`, `getStreamVersion`,
 * `eventExists`, repository `load`, `loadOrCreate`, `loadAt` and `exists` (with snapshots), its
 * snapshot store view, subscriptions, and the dead letters, checkpoints and locks of their managers.
 *
 * @example
 * ```ts
 * tenantIsolationSuite('SqliteEventStore', async () => {
 *   const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
 *   return { store, snapshots: new SqliteSnapshotStore(store.db), teardown: () => store.close() };
 * });
 * ```
 */
export function tenantIsolationSuite(
  name: string,
  factory: () => Promise<TenantIsolationUnderTest>,
  options: { runs?: number } = {},
): void {
  describe(`${name} (tenant isolation)`, () => {
    let current: TenantIsolationUnderTest | undefined;
    beforeAll(async () => {
      current = await factory();
    });
    afterAll(async () => {
      await current?.teardown?.();
    });
    const repository = (tenant: string, policy = everyNEvents(2)) =>
      new AggregateRepository(current!.store.forTenant(tenant), Notebook, {
        snapshots: { store: current!.snapshots, policy },
      });

    it("never serves a tenant view another tenant's snapshot", async () => {
      const id = randomUUID();
      const bob = repository('bob');
      await bob.update(id, (n) => n.write('Bob-secret'), { create: true });
      for (let i = 0; i < 3; i++) await bob.update(id, (n) => n.write(`Bob-secret-${i}`));
      await bob.snapshot(await bob.load(id));
      const alice = repository('alice');
      expect(await alice.exists(id)).toBe(false);
      await expect(alice.load(id)).rejects.toBeInstanceOf(AggregateNotFoundError);
      const created = await alice.loadOrCreate(id);
      expect(created.version).toBe(0);
      expect(created.state.texts).toEqual([]);
      await expect(alice.loadAt(id, { version: 4 })).rejects.toBeInstanceOf(AggregateNotFoundError);
      // Bob still gets his own state, from his snapshot.
      expect((await bob.load(id)).state.texts).toEqual(['Bob-secret', 'Bob-secret-0', 'Bob-secret-1', 'Bob-secret-2']);
    });

    it("a tenant's view cannot make a view of another tenant: store, snapshots, checkpoints, dead letters, locks", async () => {
      const shared = current!.subscriptions ?? {
        checkpoints: new InMemoryCheckpointStore(),
        deadLetters: new InMemoryDeadLetterQueue(),
        lock: new InMemorySubscriptionLock(),
      };
      const parts: [string, { forTenant?(tenantId: string): unknown }][] = [
        ['event store', current!.store],
        ['snapshot store', current!.snapshots],
        ['checkpoint store', shared.checkpoints],
        ['dead-letter queue', shared.deadLetters],
        ['subscription lock', shared.lock],
      ];
      for (const [what, part] of parts) {
        const alice = part.forTenant!('alice');
        const escape = (() => {
          try {
            (alice as typeof part).forTenant!('bob');
          } catch (error) {
            return error;
          }
          return undefined;
        })();
        expect(escape, what).toBeInstanceOf(TenantMismatchError);
        expect((escape as Error).message, what).toContain(`This ${what} is tenant "alice"'s view`);
        expect((alice as typeof part).forTenant!('alice'), what).toBe(alice);
      }
      // The view still reads only its own tenant's events.
      const id = randomUUID();
      await repository('bob').update(id, (n) => n.write('Bob-secret'), { create: true });
      const again = current!.store.forTenant('alice').forTenant('alice');
      expect(await new AggregateRepository(again, Notebook).exists(id)).toBe(false);
      expect(await new AggregateRepository(current!.store.forTenant('bob'), Notebook).exists(id)).toBe(true);
    });

    it("keeps a tenant's snapshots out of other tenants' snapshot views and out of the unscoped one", async () => {
      const id = randomUUID();
      const alice = current!.snapshots.forTenant('alice');
      const snapshot = {
        aggregateType: CONFORMANCE_AGGREGATE_TYPE,
        aggregateId: id,
        stateVersion: 1,
        createdAt: new Date(),
      };
      await alice.save({ ...snapshot, version: 3, state: { texts: ['Alice-secret'] } });
      expect((await alice.get(CONFORMANCE_AGGREGATE_TYPE, id))?.state).toEqual({ texts: ['Alice-secret'] });
      expect(await current!.snapshots.forTenant('bob').get(CONFORMANCE_AGGREGATE_TYPE, id)).toBeUndefined();
      await current!.snapshots.forTenant('bob').delete(CONFORMANCE_AGGREGATE_TYPE, id);
      expect(await alice.get(CONFORMANCE_AGGREGATE_TYPE, id)).toBeDefined();
      await expect(alice.save({ ...snapshot, version: 9, state: {}, tenantId: 'bob' })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
    });

    it('returns nothing of the other tenant, whatever the interleaving of their writes', async () => {
      let run = 0;
      const tenants = ['alice', 'bob'] as const;
      const step = fc.record({
        tenant: fc.constantFrom(0, 1),
        target: fc.integer({ min: 0, max: 3 }),
        snapshot: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
          run++;
          const ids = [0, 1, 2, 3].map((i) => `${randomUUID()}-${run}-${i}`);
          const owner = new Map<string, string>();
          const texts = new Map<string, string[]>();
          const eventIds = { alice: new Set<string>(), bob: new Set<string>() };
          for (const [n, { tenant: t, target, snapshot }] of steps.entries()) {
            const tenant = tenants[t];
            const id = ids[target]!;
            const repo = repository(tenant);
            const text = `${tenant}-secret-${run}-${n}`;
            const write = repo.update(id, (notebook) => notebook.write(text), { create: true });
            if ((owner.get(id) ?? tenant) !== tenant) {
              await expect(write).rejects.toBeInstanceOf(TenantMismatchError);
            } else {
              const notebook = await write;
              owner.set(id, tenant);
              texts.set(id, [...(texts.get(id) ?? []), text]);
              for (const event of await collect(
                current!.store.forTenant(tenant).readStream(repo.streamId(id), { from: notebook.version }),
              )) {
                eventIds[tenant].add(event.event.eventId);
              }
            }
            if (snapshot) {
              const seen = await repo.loadOrCreate(id);
              if (seen.version > 0) await repo.snapshot(seen);
            }
          }
          for (const tenant of tenants) {
            const other = tenant === 'alice' ? 'bob' : 'alice';
            const view = current!.store.forTenant(tenant);
            const repo = repository(tenant);
            const returned: unknown[] = [];
            for (const id of ids) {
              const mine = owner.get(id) === tenant;
              const expected = mine ? texts.get(id)! : [];
              const loaded = await repo.loadOrCreate(id);
              returned.push(loaded.state);
              expect(loaded.state.texts).toEqual(expected);
              expect(loaded.version).toBe(expected.length);
              expect(await repo.exists(id)).toBe(mine);
              expect(await view.getStreamVersion(repo.streamId(id))).toBe(expected.length);
              const stream = await collect(view.readStream(repo.streamId(id)));
              returned.push(stream.map((s) => toEventRecord(s.event)));
              expect(stream.map((s) => (s.event as ConformanceNoted).data.text)).toEqual(expected);
              if (mine) {
                expect((await repo.load(id)).state.texts).toEqual(expected);
                expect((await repo.loadAt(id, { version: 1 })).state.texts).toEqual(expected.slice(0, 1));
              } else {
                await expect(repo.load(id)).rejects.toBeInstanceOf(AggregateNotFoundError);
                await expect(repo.loadAt(id, { version: 1 })).rejects.toBeInstanceOf(AggregateNotFoundError);
              }
              const snapshot = await current!.snapshots.forTenant(tenant).get(CONFORMANCE_AGGREGATE_TYPE, id);
              returned.push(snapshot);
              if (!mine) expect(snapshot).toBeUndefined();
            }
            for (const eventId of eventIds[other]) expect(await view.eventExists(eventId)).toBe(false);
            for (const eventId of eventIds[tenant]) expect(await view.eventExists(eventId)).toBe(true);
            const feed = await collect(view.readAll());
            returned.push(feed.map((s) => toEventRecord(s.event)));
            expect(feed.every((s) => s.event.tenantId === tenant)).toBe(true);
            const ofRun = feed.filter((s) => ids.includes(s.event.aggregateId)).map((s) => s.event.eventId);
            expect(new Set(ofRun)).toEqual(eventIds[tenant]);
            expect(await collect(view.readAll({ tenantId: other }))).toEqual([]);
            expect((await view.currentPosition())?.toString() ?? null).toBe(feed.at(-1)?.position.toString() ?? null);
            expect(JSON.stringify(returned)).not.toContain(`${other}-secret`);
          }
        }),
        { numRuns: options.runs ?? 20 },
      );
    }, 180_000);

    it("delivers a tenant view's subscriptions only that tenant's events", async () => {
      for (const tenant of ['alice', 'bob']) {
        await repository(tenant).update(`${randomUUID()}`, (n) => n.write(`${tenant}-secret-live`), { create: true });
      }
      const view = current!.store.forTenant('alice');
      const own = (await collect(view.readAll())).length;
      const delivered: DomainEvent[] = [];
      const manager = new SubscriptionManager({ store: view, pollIntervalMs: 20 });
      manager.subscribe(async ({ event }) => void delivered.push(event), { name: 'alice-feed' });
      await manager.start();
      try {
        const deadline = Date.now() + 60_000;
        while (delivered.length < own && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      } finally {
        await manager.stop();
      }
      expect(delivered).toHaveLength(own);
      expect(delivered.every((e) => e.tenantId === 'alice')).toBe(true);
      expect(JSON.stringify(delivered.map(toEventRecord))).not.toContain('bob-secret');
    }, 90_000);

    it("keeps tenants' managers of one subscription name apart: checkpoints, locks and dead letters", async () => {
      const shared = current!.subscriptions ?? {
        checkpoints: new InMemoryCheckpointStore(),
        deadLetters: new InMemoryDeadLetterQueue(),
        lock: new InMemorySubscriptionLock(),
      };
      const name = `mail-${randomUUID()}`;
      const tenants = ['alice', 'bob'] as const;
      for (const tenant of tenants) {
        for (const text of [`${tenant}-secret-mail`, `${tenant}-secret-poison`, `${tenant}-secret-mail-2`]) {
          await repository(tenant).update(randomUUID(), (n) => n.write(text), { create: true });
        }
      }
      let poisoned = true;
      const delivered = { alice: [] as DomainEvent[], bob: [] as DomainEvent[] };
      const managers = tenants.map((tenant) => {
        const manager = new SubscriptionManager({
          store: current!.store.forTenant(tenant),
          ...shared,
          pollIntervalMs: 20,
          lockRetryMs: 20,
        });
        manager.subscribe(
          async ({ event }) => {
            delivered[tenant].push(event);
            const { text } = (event as ConformanceNoted).data;
            if (poisoned && text.endsWith('-poison')) throw new Error(`cannot mail ${text}`);
          },
          { name, retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
        );
        return manager;
      });
      const feeds = await Promise.all(
        tenants.map(async (tenant) => collect(current!.store.forTenant(tenant).readAll())),
      );
      try {
        await Promise.all(managers.map((m) => m.start()));
        const deadline = Date.now() + 60_000;
        while (tenants.some((tenant, i) => delivered[tenant].length < feeds[i]!.length) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await Promise.all(managers.map((m) => m.pause()));
        for (const [i, tenant] of tenants.entries()) {
          const other = tenant === 'alice' ? 'bob' : 'alice';
          const manager = managers[i]!;
          // Every event of its own tenant, none skipped, under a checkpoint of its own.
          expect(delivered[tenant].map((e) => e.eventId)).toEqual(feeds[i]!.map((s) => s.event.eventId));
          expect((await shared.checkpoints.forTenant!(tenant).load(name))?.toString()).toBe(
            feeds[i]!.at(-1)!.position.toString(),
          );
          expect(await manager.checkpoints.load(name)).toEqual(await shared.checkpoints.forTenant!(tenant).load(name));
          // Its own dead letter only, in lists, counts and by id.
          const parked = await manager.deadLetters.list({ subscription: name });
          expect(parked.map((e) => (e.record.data as { text: string }).text)).toEqual([`${tenant}-secret-poison`]);
          expect(parked[0]!.tenantId).toBe(tenant);
          expect((await manager.deadLetters.stats()).bySubscription.find((s) => s.subscription === name)).toEqual({
            subscription: name,
            pending: 1,
            retrying: 0,
            resolved: 0,
          });
          expect(JSON.stringify([parked, await manager.deadLetters.stats()])).not.toContain(`${other}-secret`);
          const theirs = (await shared.deadLetters.forTenant(other).list({ subscription: name }))[0]!;
          expect(await manager.deadLetters.get(theirs.id)).toBeUndefined();
          await expect(manager.retryDeadLetter(theirs.id)).rejects.toBeInstanceOf(DeadLetterEntryNotFoundError);
          await expect(manager.deadLetters.resolve(theirs.id)).rejects.toBeInstanceOf(DeadLetterEntryNotFoundError);
          await expect(manager.deadLetters.add({ ...theirs, attempts: 1 })).rejects.toBeInstanceOf(TenantMismatchError);
        }
        expect(await shared.checkpoints.load(name)).toBeNull();
        poisoned = false;
        expect(await managers[0]!.retryDeadLetters({ subscription: name })).toEqual({
          resolved: 1,
          failed: 0,
          skipped: 0,
        });
        expect((await shared.deadLetters.forTenant('bob').list({ subscription: name, status: 'pending' })).length).toBe(
          1,
        );
        expect(delivered.alice.filter((e) => (e as ConformanceNoted).data.text === 'alice-secret-poison')).toHaveLength(
          2,
        );
        expect(delivered.bob.filter((e) => (e as ConformanceNoted).data.text === 'bob-secret-poison')).toHaveLength(1);
      } finally {
        await Promise.all(managers.map((m) => m.stop()));
      }
    }, 90_000);
  });
}

interface NotebookState {
  readonly texts: readonly string[];
}

/** An aggregate whose state keeps every text written to it, so any leaked byte shows. */
class Notebook extends AggregateRoot<NotebookState> {
  static override readonly aggregateType = CONFORMANCE_AGGREGATE_TYPE;

  protected initialState(): NotebookState {
    return { texts: [] };
  }

  write(text: string): void {
    this.raise(new ConformanceNoted({ text, n: this.version + 1 }));
  }

  protected override evolveState(event: DomainEvent): NotebookState {
    return { texts: [...this.state.texts, (event as ConformanceNoted).data.text] };
  }
}
