import { describe, expect, it } from 'vitest';
import { EventStoreClosedError, InvalidArgumentError } from '../errors.js';
import type { AppendResult, EventStore, StoredEvent } from '../store/event-store.js';
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
/** Events in a stream read across pages: one more than the stores' default page (1000 rows). */
const PAGED = 1001;

/** The error of `promise`, or a failure when it resolves. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${String(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Calls `next()` until the iterator ends or throws: the events it gave, and its error. */
async function drain(iterator: AsyncIterator<StoredEvent>): Promise<{ read: StoredEvent[]; error: unknown }> {
  const read: StoredEvent[] = [];
  try {
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) read.push(step.value);
  } catch (error) {
    return { read, error };
  }
  return { read, error: undefined };
}

/** A promise, and the function that resolves it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

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

    it('refuses every read and transaction started after close() with EventStoreClosedError, for tenant views too', async () => {
      const opened = await factory();
      try {
        const { store } = opened;
        const s = newStream();
        const [event] = noted(s, 1, { tenantId: 't1' });
        await store.appendToStream(s.streamId, [event!], { expectedVersion: 'no_stream' });
        const view = store.forTenant('t1');
        const madeBefore = store.readStream(s.streamId); // started (first next()) only after close()
        await settleWithin('close()', [store.close()]);
        let ran = false;
        for (const reader of [store, view, store.forTenant('t2')]) {
          const reads: Promise<unknown>[] = [
            reader.readStream(s.streamId)[Symbol.asyncIterator]().next(),
            reader.readStream(s.streamId, { direction: 'backward', limit: 1 })[Symbol.asyncIterator]().next(),
            reader.readStream(newStream().streamId)[Symbol.asyncIterator]().next(),
            reader.readAll()[Symbol.asyncIterator]().next(),
            reader
              .readAll({ eventTypes: ['ConformanceNoted'], limit: 1 })
              [Symbol.asyncIterator]()
              .next(),
            reader.getStreamVersion(s.streamId),
            reader.currentPosition(),
            reader.eventExists(event!.eventId),
            reader.transaction(async () => void (ran = true)),
          ];
          for (const [i, read] of reads.entries()) {
            expect(await failure(read), `read ${i} of ${reader.tenantId ?? 'the store'}`).toBeInstanceOf(
              EventStoreClosedError,
            );
          }
        }
        expect(await failure(madeBefore[Symbol.asyncIterator]().next())).toBeInstanceOf(EventStoreClosedError);
        expect(ran).toBe(false);
      } finally {
        await opened.teardown?.();
      }
    });

    it('finishes the reads and page fetches in flight at close(), and an iteration interrupted by close() gets EventStoreClosedError at its next page', async () => {
      const opened = await factory();
      try {
        const { store } = opened;
        const s = newStream();
        await store.appendToStream(s.streamId, noted(s, PAGED), { expectedVersion: 'no_stream' });
        // Iterations that read a first page before close(), and are abandoned or resumed after it.
        const stream = store.readStream(s.streamId)[Symbol.asyncIterator]();
        const feed = store.readAll()[Symbol.asyncIterator]();
        const abandoned = store.readAll()[Symbol.asyncIterator]();
        for (const iterator of [stream, feed, abandoned]) expect((await iterator.next()).value).toBeDefined();
        // Called before close(): accepted, so close() waits for them and they complete.
        const inFlight: Promise<unknown>[] = [
          store.getStreamVersion(s.streamId),
          store.currentPosition(),
          store.readStream(s.streamId, { direction: 'backward' })[Symbol.asyncIterator]().next(),
          store.readAll({ limit: 2 })[Symbol.asyncIterator]().next(),
        ];
        const closing = store.close();
        const [version, position, last, first] = await settleWithin('the reads started before close()', inFlight);
        expect(version).toEqual({ status: 'fulfilled', value: PAGED });
        expect(position?.status).toBe('fulfilled');
        const versionOf = (outcome: PromiseSettledResult<unknown> | undefined) =>
          ((outcome as PromiseFulfilledResult<IteratorResult<StoredEvent>>).value.value as StoredEvent).streamVersion;
        expect(versionOf(last)).toBe(PAGED);
        expect(versionOf(first)).toBe(1);
        // close() does not wait for iterations still open (`abandoned` is never finished).
        await settleWithin('close()', [closing]);
        for (const iterator of [stream, feed]) {
          const { read, error } = await drain(iterator);
          expect(error).toBeInstanceOf(EventStoreClosedError);
          // Whatever came before the refusal came in order, and not the whole stream.
          expect(read.length).toBeLessThan(PAGED - 1);
          expect(read.map((e) => e.streamVersion)).toEqual(read.map((_, i) => i + 2));
        }
      } finally {
        await opened.teardown?.();
      }
    });

    it('lets a transaction running at close() commit, with what it reads through the store, before close() resolves; refuses new ones', async () => {
      const opened = await factory();
      let reopened: EventStore | undefined;
      try {
        const { store } = opened;
        const a = newStream();
        const b = newStream();
        await store.appendToStream(b.streamId, noted(b, 2), { expectedVersion: 'no_stream' });
        const log: string[] = [];
        const inside = signal();
        const carryOn = signal();
        const running = store.transaction(async (tx) => {
          tx.afterCommit(() => void log.push('afterCommit'));
          await tx.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
          inside.resolve();
          await carryOn.promise; // close() has begun by now
          const version = await store.getStreamVersion(b.streamId);
          const read = await collect(store.readStream(b.streamId));
          await tx.appendToStream(a.streamId, noted(a, 1, {}, 2), { expectedVersion: 1 });
          log.push('body done');
          return { version, read: read.length };
        });
        running.then(
          () => log.push('transaction returned'),
          () => log.push('transaction failed'),
        );
        await inside.promise;
        const closing = store.close();
        closing.then(
          () => log.push('closed'),
          () => log.push('close failed'),
        );
        let ran = false;
        const late = await failure(store.transaction(async () => void (ran = true)));
        const outside = await failure(store.getStreamVersion(b.streamId));
        carryOn.resolve();
        const [result] = await settleWithin('the transaction running at close()', [running]);
        await settleWithin('close()', [closing]);
        expect(result).toEqual({ status: 'fulfilled', value: { version: 2, read: 2 } });
        expect(log).toEqual(['body done', 'afterCommit', 'transaction returned', 'closed']);
        expect(late).toBeInstanceOf(EventStoreClosedError);
        expect(outside).toBeInstanceOf(EventStoreClosedError);
        expect(ran).toBe(false);
        if (!opened.reopen) return;
        reopened = await opened.reopen();
        expect(await reopened.getStreamVersion(a.streamId)).toBe(2);
      } finally {
        await reopened?.close();
        await opened.teardown?.();
      }
    });

    it('refuses close() called inside one of its transactions (it would wait for itself) and stays open', async () => {
      const opened = await factory();
      try {
        const { store } = opened;
        const a = newStream();
        const [outcome] = await store.transaction(async (tx) => {
          await tx.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
          return settleWithin('close() inside a transaction', [store.close()]);
        });
        expect(outcome?.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(InvalidArgumentError);
        expect(await store.getStreamVersion(a.streamId)).toBe(1);
        await store.appendToStream(a.streamId, noted(a, 1, {}, 2), { expectedVersion: 1 });
        await settleWithin('close()', [store.close()]);
        expect(await failure(store.getStreamVersion(a.streamId))).toBeInstanceOf(EventStoreClosedError);
      } finally {
        await opened.teardown?.();
      }
    });
  });
}
