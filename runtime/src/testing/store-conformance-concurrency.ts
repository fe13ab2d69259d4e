import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { collect } from './collect.js';
import { newStream, noted } from './store-conformance-context.js';

/** Appends that race on one stream, as they do when two processes handle commands at once. */
export function storeConcurrencyTests(store: () => EventStore): void {
  describe('concurrent appends', () => {
    it('lets exactly one of several racing appends with the same expected version win', async () => {
      const s = newStream();
      await store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' });
      const batches = Array.from({ length: 5 }, (_, i) => noted(s, 2, {}, 10 * (i + 1)));
      const results = await Promise.allSettled(batches.map((batch) => store().appendToStream(s.streamId, batch, { expectedVersion: 1 })));
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
      const results = await Promise.all(batches.map((batch) => store().appendToStream(s.streamId, batch, { expectedVersion: 'any' })));
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
  });
}
