import { describe, expect, it } from 'vitest';
import { EventStoreClosedError } from '../errors.js';
import type { AppendResult, EventStore } from '../store/event-store.js';
import { collect } from './collect.js';
import {
  newStream,
  noted,
  settleWithin,
  type PooledStoreFactory,
  type StoreFactory,
  type StoreUnderTest,
} from './store-conformance-context.js';

/** Appends started before `close()`: more than a pool of 2 and a group commit's two flights of 64 hold. */
const QUEUED = 200;

/**
 * `close()` with appends still queued (for a group commit, or for a connection): each append
 * accepted before it either completes or fails with {@link EventStoreClosedError}, never with a
 * driver's error about a shut pool and never hanging; appends after it fail with that error; and a
 * store reopened on the same data holds exactly the appends that succeeded.
 */
export function storeCloseTests(factory: StoreFactory, pooled: PooledStoreFactory | undefined): void {
  describe('close', () => {
    it('finishes or refuses (EventStoreClosedError) every append queued at close(), refuses later ones, and keeps exactly those that succeeded', async () => {
      // A small pool, so that appends without group commit queue for a connection too.
      const opened: StoreUnderTest = pooled ? await pooled(2) : await factory();
      const { store } = opened;
      let reopened: EventStore | undefined;
      try {
        const first = newStream();
        await store.appendToStream(first.streamId, noted(first, 1), { expectedVersion: 'no_stream' });
        const streams = Array.from({ length: QUEUED }, () => newStream());
        const appends = streams.map((s) =>
          store.appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'no_stream' }),
        );
        const closing = store.close();
        const late = newStream();
        const refused = await Promise.allSettled([
          store.appendToStream(late.streamId, noted(late, 1), { expectedVersion: 'no_stream' }),
          store.forTenant('t1').appendToStream(late.streamId, noted(late, 1), { expectedVersion: 'no_stream' }),
        ]);
        const outcomes = await settleWithin('the appends queued at close()', appends);
        await settleWithin('close()', [closing]);
        await settleWithin('a second close()', [store.close()]);

        const succeeded = new Map<string, AppendResult>();
        outcomes.forEach((outcome, i) => {
          if (outcome.status === 'fulfilled') succeeded.set(streams[i]!.streamId, outcome.value);
          else expect(outcome.reason).toBeInstanceOf(EventStoreClosedError);
        });
        for (const outcome of refused) {
          expect(outcome.status).toBe('rejected');
          expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(EventStoreClosedError);
        }

        if (!opened.reopen) return;
        reopened = await opened.reopen();
        for (const s of [...streams, late]) {
          const stored = await collect(reopened.readStream(s.streamId));
          expect(stored.length, s.streamId).toBe(succeeded.has(s.streamId) ? 1 : 0);
          if (stored[0]) expect(stored[0].position.equals(succeeded.get(s.streamId)!.position)).toBe(true);
        }
        const all = await collect(reopened.readAll());
        expect(all.map((e) => e.streamId).sort()).toEqual([first.streamId, ...succeeded.keys()].sort());
      } finally {
        await reopened?.close();
        await opened.teardown?.();
      }
    });
  });
}
