import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { AggregateRoot } from '../aggregates/aggregate-root.js';
import { handles } from '../aggregates/handles.js';
import { ConcurrencyError, EventsmithError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { collect } from './collect.js';
import { CONFORMANCE_AGGREGATE_TYPE, ConformanceNoted } from './conformance-events.js';
import {
  newStream,
  noted,
  settleWithin,
  type PooledStoreFactory,
  type StoreUnderTest,
} from './store-conformance-context.js';

export interface ConcurrencyTestOptions {
  /**
   * Opens a fresh, empty store whose connection pool holds at most the given number of
   * connections. Stores with a pool pass it, and the cases that race more appends than there are
   * connections then run with pools of 1, 2 and 10 (and 5 for the repository case); without it
   * they run once on the suite's store.
   */
  readonly pooled?: PooledStoreFactory;
}

/** An aggregate that counts its notes: the repository case's subject. */
class ConformanceNotebook extends AggregateRoot<{ readonly notes: number }> {
  static override readonly aggregateType = CONFORMANCE_AGGREGATE_TYPE;

  protected initialState(): { readonly notes: number } {
    return { notes: 0 };
  }

  note(): void {
    this.raise(new ConformanceNoted({ text: 'note', n: this.state.notes + 1 }));
  }

  @handles(ConformanceNoted)
  onNoted(): { readonly notes: number } {
    return { notes: this.state.notes + 1 };
  }
}

/** Appends that race on one stream, as they do when two processes handle commands at once. */
export function storeConcurrencyTests(store: () => EventStore, options: ConcurrencyTestOptions = {}): void {
  /** Runs `fn` on a store with a pool of `connections` (or on the suite's store), then closes it. */
  const withPool = async (connections: number | undefined, fn: (store: EventStore) => Promise<void>): Promise<void> => {
    const opened: StoreUnderTest =
      connections !== undefined && options.pooled ? await options.pooled(connections) : { store: store() };
    try {
      await fn(opened.store);
    } finally {
      await opened.teardown?.();
    }
  };
  const pools = (sizes: readonly number[]): readonly (number | undefined)[] => (options.pooled ? sizes : [undefined]);
  const named = (connections: number | undefined) => (connections === undefined ? '' : ` (pool of ${connections})`);

  describe('concurrent appends', () => {
    it('lets exactly one of several racing appends with the same expected version win', async () => {
      const s = newStream();
      await store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
      const batches = Array.from({ length: 5 }, (_, i) => noted(s, 2, {}, 10 * (i + 1)));
      const results = await Promise.allSettled(
        batches.map((batch) => store().appendToStream(s.streamId, batch, { expectedVersion: 1 })),
      );
      const winners = results.filter((r) => r.status === 'fulfilled');
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(4);
      for (const loser of losers) {
        expect(loser.reason).toBeInstanceOf(ConcurrencyError);
        expect(loser.reason).toMatchObject({ streamId: s.streamId, expected: 1, actual: 3 });
      }
      const winner = batches[results.findIndex((r) => r.status === 'fulfilled')]!;
      const stored = await collect(store().readStream(s.streamId, { from: 2 }));
      expect(stored.map((e) => e.event.eventId)).toEqual(winner.map((e) => e.eventId));
      expect(await store().getStreamVersion(s.streamId)).toBe(3);
    });

    it("lets exactly one of two racing 'no_stream' appends create the stream", async () => {
      const s = newStream();
      const results = await Promise.allSettled([
        store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' }),
        store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(loser?.reason).toBeInstanceOf(ConcurrencyError);
      expect(loser?.reason).toMatchObject({ expected: 'no_stream', actual: 1 });
      expect(await store().getStreamVersion(s.streamId)).toBe(1);
    });

    it("lets every racing 'any' append succeed, each with its own versions", async () => {
      const s = newStream();
      const batches = Array.from({ length: 6 }, (_, i) => noted(s, 2, {}, 10 * (i + 1)));
      const results = await Promise.all(
        batches.map((batch) => store().appendToStream(s.streamId, batch, { expectedVersion: 'any' })),
      );
      expect(results.map((r) => r.nextVersion).sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12]);
      const stored = await collect(store().readStream(s.streamId));
      expect(stored.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      // Each batch stays contiguous and in its own order within the stream.
      const ids = stored.map((e) => e.event.eventId);
      for (const batch of batches) {
        const at = ids.indexOf(batch[0]!.eventId);
        expect(ids.slice(at, at + 2)).toEqual(batch.map((e) => e.eventId));
      }
    });

    it('lets racing appends to different streams all succeed', async () => {
      const streams = Array.from({ length: 6 }, () => newStream());
      const results = await Promise.all(
        streams.map((s) => store().appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' })),
      );
      expect(results.map((r) => r.nextVersion)).toEqual([3, 3, 3, 3, 3, 3]);
      const positions = results.map((r) => r.position.toString());
      expect(new Set(positions).size).toBe(6);
      expect((await collect(store().readAll())).length).toBe(18);
    });

    for (const connections of pools([1, 2, 10])) {
      it(`answers more conflicting appends than it has connections, each with ConcurrencyError or success${named(connections)}`, async () => {
        await withPool(connections, async (pooled) => {
          const s = newStream();
          await pooled.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
          const racers = 2 * (connections ?? 4) + 1;
          // Every one of these fails its check: a failed append must not wait for a second connection.
          const stale = await settleWithin(
            `${racers} stale appends`,
            Array.from({ length: racers }, (_, i) =>
              pooled.appendToStream(s.streamId, noted(s, 1, {}, 10 + i), { expectedVersion: 5 }),
            ),
          );
          for (const result of stale) {
            expect(result.status).toBe('rejected');
            expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ConcurrencyError);
            expect((result as PromiseRejectedResult).reason).toMatchObject({
              streamId: s.streamId,
              expected: 5,
              actual: 1,
            });
          }
          // One of these wins; the others lose the race and fail their check.
          const racing = await settleWithin(
            `${racers} racing appends`,
            Array.from({ length: racers }, (_, i) =>
              pooled.appendToStream(s.streamId, noted(s, 1, {}, 100 + i), { expectedVersion: 1 }),
            ),
          );
          expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
          for (const loser of racing.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
            expect(loser.reason).toBeInstanceOf(ConcurrencyError);
            expect(loser.reason).toMatchObject({ expected: 1, actual: 2 });
          }
          expect(await pooled.getStreamVersion(s.streamId)).toBe(2);
          expect(await collect(pooled.readStream(s.streamId))).toHaveLength(2);
        });
      });
    }

    for (const connections of pools([5])) {
      it(`completes 12 concurrent repository updates of one aggregate, each saved or failed with a typed error${named(connections)}`, async () => {
        await withPool(connections, async (pooled) => {
          const notebooks = new AggregateRepository(pooled, ConformanceNotebook);
          const id = randomUUID();
          await notebooks.update(id, (notebook) => notebook.note(), { create: true });
          const updates = await settleWithin(
            '12 repository updates',
            Array.from({ length: 12 }, () => notebooks.update(id, (notebook) => notebook.note())),
          );
          const saved = updates.filter((r) => r.status === 'fulfilled').length;
          for (const failed of updates.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
            expect(failed.reason).toBeInstanceOf(EventsmithError);
          }
          expect(saved).toBeGreaterThan(0);
          const stored = await collect(pooled.readStream(notebooks.streamId(id)));
          expect(stored.map((e) => (e.event as ConformanceNoted).data.n)).toEqual(
            Array.from({ length: saved + 1 }, (_, i) => i + 1),
          );
        });
      });
    }
  });
}
