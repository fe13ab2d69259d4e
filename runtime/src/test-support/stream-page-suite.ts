/**
 * The page read of a stream ({@link readStreamPage}) against `readStream`, for every store that
 * has one: the same events, the same aggregates (through the repository), the same failures.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { EventStoreClosedError } from '../errors.js';
import { defineEvent, type DomainEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import { InMemorySnapshotStore } from '../snapshots/memory/in-memory-snapshot-store.js';
import { everyNEvents } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';
import { readStreamPage, type StreamPageReader } from '../store/stream-page.js';
import { collect } from '../testing/collect.js';
import { Counter, CounterOpened, CounterReset } from './counter-aggregate.js';

export interface StreamPageStore {
  readonly store: EventStore & StreamPageReader;
  /** Another store of `registry` on the same database. */
  other(registry: EventRegistry): Promise<EventStore>;
  teardown(): Promise<void>;
}

/** The store as a store without the page read: repositories go through readStream. */
function withoutPageRead(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === readStreamPage) return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** What a replay sees of an event: its whole envelope and payload. */
const summary = (events: readonly DomainEvent[]) => events.map((e) => ({ ...e.toJSON(), data: e.data }));

/** Saves a counter with `increments` increments, one event per save. */
async function build(repository: AggregateRepository<Counter>, id: string, increments: number): Promise<void> {
  const counter = new Counter(id);
  counter.open(id);
  await repository.save(counter);
  for (let i = 1; i <= increments; i++) {
    counter.increment(i);
    await repository.save(counter);
  }
}

/** CounterIncremented as a writer that allows fractions stores it: the readers' schema refuses 1.5. */
class LooseIncremented extends defineEvent({
  type: 'CounterIncremented',
  aggregateType: 'Counter',
  schema: z.object({ by: z.number() }),
}) {}
const looseRegistry = EventRegistry.create({ events: [CounterOpened, LooseIncremented, CounterReset] });

export function streamPageSuite(name: string, open: (pageSize: number) => Promise<StreamPageStore>): void {
  describe(`${name} page read of a stream (readStreamPage)`, () => {
    it('gives the events of what readStream yields first from a version, and says whether more follow', async () => {
      const { store, teardown } = await open(2);
      try {
        await build(new AggregateRepository(store, Counter), 'c1', 4); // 5 events
        const streamId = 'Counter-c1';
        const all = await collect(store.readStream(streamId));
        expect(all).toHaveLength(5);
        for (const [from, versions, more] of [
          [1, [1, 2], true],
          [3, [3, 4], true],
          [4, [4, 5], false],
          [5, [5], false],
          [6, [], false],
        ] as const) {
          const page = await store[readStreamPage](streamId, from);
          expect(page.more).toBe(more);
          expect(page.events.map((e) => e.aggregateVersion)).toEqual(versions);
          const streamed = all.filter((e) => e.streamVersion >= from).slice(0, 2);
          expect(summary(page.events)).toEqual(summary(streamed.map((e) => e.event)));
          expect(page.events.map((e) => e.constructor)).toEqual(streamed.map((e) => e.event.constructor));
          expect(page.events.every((e) => Object.isFrozen(e) && Object.isFrozen(e.data))).toBe(true);
        }
        expect(await store[readStreamPage]('Counter-none', 1)).toEqual({ events: [], more: false });
        const view = store.forTenant('t1') as EventStore & StreamPageReader;
        expect(await view[readStreamPage](streamId, 1)).toEqual({ events: [], more: false });
      } finally {
        await teardown();
      }
    });

    it('loads aggregates as readStream does: every length around the page size, from snapshots, in tenant views', async () => {
      const { store, teardown } = await open(2);
      try {
        for (const view of [store, store.forTenant('t1')]) {
          const options = { snapshots: { store: new InMemorySnapshotStore(), policy: everyNEvents(3) } };
          const paged = new AggregateRepository(view, Counter, options);
          const streamed = new AggregateRepository(withoutPageRead(view), Counter, options);
          const plain = new AggregateRepository(view, Counter);
          for (let increments = 0; increments <= 6; increments++) {
            const id = `${view.tenantId ?? 'all'}-n${increments}`;
            await build(paged, id, increments);
            for (const repository of [paged, plain]) {
              const loaded = await repository.load(id);
              const expected = await streamed.load(id);
              expect([loaded.version, loaded.state]).toEqual([expected.version, expected.state]);
              expect(loaded.version).toBe(increments + 1);
              expect(loaded.state.count).toBe((increments * (increments + 1)) / 2);
            }
          }
        }
      } finally {
        await teardown();
      }
    });

    it('fails a load as readStream does: an undecodable stored event, a bad id, a closed store', async () => {
      const { store, other, teardown } = await open(1000);
      try {
        await build(new AggregateRepository(store, Counter), 'bad', 1);
        // A payload the readers' schema refuses (an increment by a fraction), stored as version 3.
        const writer = await other(looseRegistry);
        await writer.appendToStream('Counter-bad', [new LooseIncremented({ by: 1.5 }, { aggregateId: 'bad' })], {
          expectedVersion: 2,
        });
        await writer.close();
        const failure = (repository: AggregateRepository<Counter>, id: string) =>
          repository.load(id).then(
            () => undefined,
            (error: unknown) => error as Error,
          );
        for (const id of ['bad', 'bad\u0000id']) {
          const paged = await failure(new AggregateRepository(store, Counter), id);
          const streamed = await failure(new AggregateRepository(withoutPageRead(store), Counter), id);
          expect(paged).toBeInstanceOf(Error);
          expect([paged?.constructor, paged?.message]).toEqual([streamed?.constructor, streamed?.message]);
        }
        await store.close();
        await expect(new AggregateRepository(store, Counter).load('bad')).rejects.toBeInstanceOf(EventStoreClosedError);
        await expect((async () => store[readStreamPage]('Counter-bad', 1))()).rejects.toBeInstanceOf(
          EventStoreClosedError,
        );
      } finally {
        await teardown();
      }
    });
  });
}
