import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AggregateNotFoundError, CommandRejectedError, ConcurrencyError } from '../errors.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { withTenant } from '../tenancy/tenant-context.js';
import { AggregateRepository } from './aggregate-repository.js';
import { fromCommand, runInCommandContext } from './command-context.js';
import { Counter, counterRegistry } from '../test-support/counter-aggregate.js';
import { SpyEventStore } from '../test-support/spy-event-store.js';

let store: SpyEventStore;
let counters: AggregateRepository<Counter>;

beforeEach(() => {
  store = new SpyEventStore(new InMemoryEventStore({ registry: counterRegistry }));
  counters = new AggregateRepository(store, Counter);
});

async function opened(id: string, increments = 0): Promise<Counter> {
  const counter = new Counter(id);
  counter.open('c');
  for (let i = 0; i < increments; i++) counter.increment(1);
  await counters.save(counter);
  return counter;
}

describe('AggregateRepository', () => {
  it('load throws AggregateNotFoundError for an aggregate without events', async () => {
    const error = await counters.load('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateNotFoundError);
    expect(error).toMatchObject({ aggregateType: 'Counter', aggregateId: 'missing', code: 'AGGREGATE.NOT_FOUND' });
  });

  it('loadOrCreate returns a new aggregate, exists tells the two apart', async () => {
    const fresh = await counters.loadOrCreate('c1');
    expect(fresh.version).toBe(0);
    expect(fresh.state.count).toBe(0);
    expect(await counters.exists('c1')).toBe(false);
    await opened('c1', 2);
    expect(await counters.exists('c1')).toBe(true);
    const loaded = await counters.loadOrCreate('c1');
    expect(loaded.version).toBe(3);
    expect(loaded.state).toEqual({ label: 'c', count: 2, resetAt: null });
  });

  it('saves to the stream "<type>-<id>" with the exact expected version', async () => {
    const counter = await opened('c1', 1);
    expect(store.appends).toEqual([{ streamId: 'Counter-c1', expectedVersion: 0, count: 2 }]);
    counter.increment(5);
    const result = await counters.save(counter);
    expect(result?.nextVersion).toBe(3);
    expect(store.appends[1]).toEqual({ streamId: 'Counter-c1', expectedVersion: 2, count: 1 });
    const loaded = await counters.load('c1');
    expect(loaded.state.count).toBe(6);
    expect(loaded.uncommittedEvents).toEqual([]);
  });

  it('does nothing when there are no new events', async () => {
    const counter = await opened('c1');
    expect(await counters.save(counter)).toBeUndefined();
    expect(store.appends).toHaveLength(1);
  });

  it('marks events committed only after the append succeeds', async () => {
    const counter = new Counter('c1');
    counter.open('c');
    let pendingDuringAppend = -1;
    store.beforeAppend = async () => {
      pendingDuringAppend = counter.uncommittedEvents.length;
    };
    await counters.save(counter);
    expect(pendingDuringAppend).toBe(1);
    expect(counter.uncommittedEvents).toEqual([]);
  });

  it('keeps the events uncommitted when the append fails', async () => {
    await opened('c1');
    const stale = await counters.load('c1');
    const other = await counters.load('c1');
    other.increment();
    await counters.save(other);
    stale.increment(2);
    await expect(counters.save(stale)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(stale.uncommittedEvents).toHaveLength(1);
    expect((await counters.load('c1')).state.count).toBe(1);
  });

  it('inside a transaction, marks events committed when it commits and not when it rolls back', async () => {
    const a = new Counter('a');
    a.open('a');
    await expect(
      store.transaction(async (tx) => {
        await counters.save(a, { transaction: tx });
        expect(a.uncommittedEvents).toHaveLength(1);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(a.uncommittedEvents).toHaveLength(1);
    expect(await counters.exists('a')).toBe(false);
    await store.transaction(async (tx) => {
      await counters.save(a, { transaction: tx });
    });
    expect(a.uncommittedEvents).toEqual([]);
    expect((await counters.load('a')).version).toBe(1);
  });

  describe('loadAt', () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ['Date'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('rebuilds the aggregate as it was at a version or at a moment', async () => {
      vi.setSystemTime(new Date('2024-01-01T00:00:00Z'));
      const counter = new Counter('c1');
      counter.open('c');
      counter.increment(1);
      await counters.save(counter);
      vi.setSystemTime(new Date('2024-01-02T00:00:00Z'));
      counter.increment(10);
      await counters.save(counter);
      vi.setSystemTime(new Date('2024-01-03T00:00:00Z'));
      counter.increment(100);
      await counters.save(counter);

      expect((await counters.loadAt('c1', { version: 2 })).state.count).toBe(1);
      expect((await counters.loadAt('c1', { version: 3 })).state.count).toBe(11);
      expect((await counters.loadAt('c1', { version: 99 })).state.count).toBe(111);
      expect((await counters.loadAt('c1', { at: new Date('2024-01-02T12:00:00Z') })).state.count).toBe(11);
      expect((await counters.loadAt('c1', { at: new Date('2024-01-02T00:00:00Z') })).version).toBe(3);
      await expect(counters.loadAt('c1', { at: new Date('2023-12-31T00:00:00Z') })).rejects.toBeInstanceOf(
        AggregateNotFoundError,
      );
      await expect(counters.loadAt('c1', { version: 0 })).rejects.toBeInstanceOf(AggregateNotFoundError);
      await expect(counters.loadAt('nobody', { version: 1 })).rejects.toBeInstanceOf(AggregateNotFoundError);
    });
  });

  describe('update', () => {
    /** Makes the next `times` appends lose a race against another writer. */
    function competeFor(times: number) {
      let left = times;
      store.beforeAppend = async (call) => {
        if (left-- <= 0) return;
        const rival = await counters.load('c1');
        rival.increment(1000);
        await store.inner.appendToStream(call.streamId, rival.uncommittedEvents, { expectedVersion: 'any' });
      };
    }

    it('reloads and retries after a concurrency conflict', async () => {
      await opened('c1');
      competeFor(2);
      const fn = vi.fn((counter: Counter) => counter.increment(1));
      const result = await counters.update('c1', fn, { retries: 3 });
      expect(fn).toHaveBeenCalledTimes(3);
      expect(result.state.count).toBe(2001);
      expect((await counters.load('c1')).state.count).toBe(2001);
    });

    it('gives up after the given number of retries', async () => {
      await opened('c1');
      competeFor(Infinity);
      const fn = vi.fn((counter: Counter) => counter.increment(1));
      await expect(counters.update('c1', fn, { retries: 2 })).rejects.toBeInstanceOf(ConcurrencyError);
      expect(fn).toHaveBeenCalledTimes(3);
    });

    it('does not retry other errors, and requires the aggregate unless create is set', async () => {
      await opened('c1');
      const fn = vi.fn((counter: Counter) => counter.increment(0));
      await expect(counters.update('c1', fn)).rejects.toBeInstanceOf(CommandRejectedError);
      expect(fn).toHaveBeenCalledTimes(1);
      await expect(counters.update('c2', (c) => c.open('x'))).rejects.toBeInstanceOf(AggregateNotFoundError);
      const created = await counters.update('c2', (c) => c.open('x'), { create: true });
      expect(created.state.label).toBe('x');
    });
  });

  it('stamps provenance from the command context and the ambient tenant onto saved events', async () => {
    await withTenant('acme', () =>
      runInCommandContext(fromCommand({ commandId: 'cmd-1', actorId: 'alice', correlationId: 'corr-9' }), () =>
        counters.update('c1', (c) => c.open('x'), { create: true }),
      ),
    );
    const [stored] = await (async () => {
      const out = [];
      for await (const e of store.readStream('Counter-c1')) out.push(e);
      return out;
    })();
    expect(stored!.event).toMatchObject({
      causationId: 'cmd-1',
      correlationId: 'corr-9',
      actorId: 'alice',
      tenantId: 'acme',
    });
  });

  it('replays stored events through the handlers', async () => {
    const counter = new Counter('c1');
    counter.open('c');
    counter.increment(2);
    counter.reset(new Date('2024-06-01T00:00:00Z'));
    counter.increment(3);
    await counters.save(counter);
    const loaded = await counters.load('c1');
    expect(loaded.state).toEqual({ label: 'c', count: 3, resetAt: new Date('2024-06-01T00:00:00Z') });
    expect(loaded.version).toBe(4);
    expect(loaded.uncommittedEvents).toEqual([]);
  });
});
