import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AggregateRepository } from '../../aggregates/aggregate-repository.js';
import { EventStoreClosedError } from '../../errors.js';
import { everyNEvents } from '../../snapshots/snapshot-store.js';
import { Counter, counterRegistry } from '../../test-support/counter-aggregate.js';
import { collect } from '../../testing/conformance.js';
import type { DomainEvent } from '../../events/domain-event.js';
import type { EventStore } from '../event-store.js';
import { readStreamPage } from '../stream-page.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

async function open(pageSize: number) {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-stream-page-'));
  const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: counterRegistry, pageSize });
  return {
    store,
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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

describe('SqliteEventStore page read of a stream (readStreamPage)', () => {
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
        const page = store[readStreamPage](streamId, from);
        expect(page.more).toBe(more);
        expect(page.events.map((e) => e.aggregateVersion)).toEqual(versions);
        const streamed = all.filter((e) => e.streamVersion >= from).slice(0, 2);
        expect(summary(page.events)).toEqual(summary(streamed.map((e) => e.event)));
        expect(page.events.map((e) => e.constructor)).toEqual(streamed.map((e) => e.event.constructor));
        expect(page.events.every((e) => Object.isFrozen(e) && Object.isFrozen(e.data))).toBe(true);
      }
      expect(store[readStreamPage]('Counter-none', 1)).toEqual({ events: [], more: false });
      expect(store.forTenant('t1')[readStreamPage](streamId, 1)).toEqual({ events: [], more: false });
    } finally {
      await teardown();
    }
  });

  it('loads aggregates as readStream does: every length around the page size, from snapshots, in tenant views', async () => {
    const { store, teardown } = await open(2);
    try {
      for (const view of [store, store.forTenant('t1')]) {
        const snapshots = new SqliteSnapshotStore(store.db);
        const options = { snapshots: { store: snapshots, policy: everyNEvents(3) } };
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

  it('fails a load as readStream does: an undecodable stored event, a closed store', async () => {
    const { store, teardown } = await open(1000);
    try {
      await build(new AggregateRepository(store, Counter), 'bad', 1);
      // A payload its schema refuses (an increment by a fraction), stored by hand as version 3.
      const at = new Date().toISOString();
      await store.db
        .insertInto('eventsmith_events')
        .values({
          stream_id: 'Counter-bad',
          version: 3,
          event_id: 'bad-3',
          event_type: 'CounterIncremented',
          event_version: 1,
          aggregate_type: 'Counter',
          aggregate_id: 'bad',
          tenant_id: null,
          occurred_at: at,
          actor_id: null,
          correlation_id: 'bad-3',
          causation_id: null,
          metadata: '{}',
          data: JSON.stringify({ by: 1.5 }),
          stored_at: at as never, // SQLite has no default for it
        })
        .execute();
      const failure = (repository: AggregateRepository<Counter>) =>
        repository.load('bad').then(
          () => undefined,
          (error: unknown) => error as Error,
        );
      const paged = await failure(new AggregateRepository(store, Counter));
      const streamed = await failure(new AggregateRepository(withoutPageRead(store), Counter));
      expect(paged).toBeInstanceOf(Error);
      expect([paged?.constructor, paged?.message]).toEqual([streamed?.constructor, streamed?.message]);
      await store.close();
      await expect(new AggregateRepository(store, Counter).load('bad')).rejects.toBeInstanceOf(EventStoreClosedError);
      expect(() => store[readStreamPage]('Counter-bad', 1)).toThrow(EventStoreClosedError);
    } finally {
      await teardown();
    }
  });
});
