import { beforeEach, describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../errors.js';
import { InMemorySnapshotStore } from '../snapshots/memory/in-memory-snapshot-store.js';
import { everyNEvents, neverSnapshot, type Snapshot, type SnapshotStore } from '../snapshots/snapshot-store.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { AggregateRepository, type SnapshotProblem } from './aggregate-repository.js';
import { Counter, counterRegistry } from '../test-support/counter-aggregate.js';
import { SpyEventStore } from '../test-support/spy-event-store.js';

class SpySnapshotStore extends InMemorySnapshotStore {
  saves: Snapshot[] = [];
  failGet = false;
  failSave = false;
  override async save(snapshot: Snapshot): Promise<void> {
    if (this.failSave) throw new Error('snapshot store down');
    this.saves.push(snapshot);
    return super.save(snapshot);
  }
  override async get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined> {
    if (this.failGet) throw new Error('snapshot store down');
    return super.get(aggregateType, aggregateId);
  }
}

let events: SpyEventStore;
let snapshots: SpySnapshotStore;
let problems: SnapshotProblem[];

beforeEach(() => {
  events = new SpyEventStore(new InMemoryEventStore({ registry: counterRegistry }));
  snapshots = new SpySnapshotStore();
  problems = [];
});

function repository(policy = everyNEvents(3), store: SnapshotStore = snapshots, aggregate = Counter) {
  return new AggregateRepository(events, aggregate, {
    snapshots: { store, policy },
    onSnapshotProblem: (p) => problems.push(p),
  });
}

/** Saves a counter with `increments` increments, `perSave` events at a time. */
async function build(repo: AggregateRepository<Counter>, increments: number, perSave = 1): Promise<Counter> {
  const counter = new Counter('c1');
  counter.open('c');
  await repo.save(counter);
  for (let done = 0; done < increments;) {
    for (let i = 0; i < perSave && done < increments; i++, done++) counter.increment(1);
    await repo.save(counter);
  }
  return counter;
}

describe('everyNEvents', () => {
  it('fires when a save crosses a multiple of n, even without landing on it', () => {
    const policy = everyNEvents(10);
    expect(policy.shouldSnapshot(8, 12)).toBe(true);
    expect(policy.shouldSnapshot(9, 10)).toBe(true);
    expect(policy.shouldSnapshot(0, 25)).toBe(true);
    expect(policy.shouldSnapshot(10, 11)).toBe(false);
    expect(policy.shouldSnapshot(11, 19)).toBe(false);
    expect(policy.shouldSnapshot(0, 9)).toBe(false);
    expect(neverSnapshot.shouldSnapshot(0, 100)).toBe(false);
    expect(() => everyNEvents(0)).toThrow(RangeError);
    expect(() => everyNEvents(2.5)).toThrow(RangeError);
  });
});

describe('AggregateRepository with snapshots', () => {
  it('takes a snapshot when a save crosses a multiple of N', async () => {
    const repo = repository(everyNEvents(3));
    await build(repo, 7, 2); // versions 1, 3, 5, 7, 8
    expect(snapshots.saves.map((s) => s.version)).toEqual([3, 7]);
    const stored = await snapshots.get('Counter', 'c1');
    expect(stored).toMatchObject({ aggregateType: 'Counter', aggregateId: 'c1', version: 7, stateVersion: 1 });
    expect(stored!.state).toEqual({ label: 'c', count: 6, resetAt: null });
  });

  it('loads from the snapshot, reading only the events after it', async () => {
    const repo = repository(everyNEvents(5));
    await build(repo, 7); // snapshot at 5, stream at 8
    events.reads.length = 0;
    const loaded = await repo.load('c1');
    expect(loaded.version).toBe(8);
    expect(loaded.state.count).toBe(7);
    expect(events.reads).toHaveLength(1);
    expect(events.reads[0]!.options.from).toBe(6);
    expect(events.reads[0]!.yielded).toBe(3);
    expect(problems).toEqual([]);
  });

  it('restores dates in the state through stateSchema', async () => {
    const repo = repository(neverSnapshot);
    const counter = await build(repo, 1);
    counter.reset(new Date('2024-02-02T00:00:00Z'));
    await repo.save(counter);
    await repo.snapshot(counter);
    const loaded = await repo.load('c1');
    expect(events.reads.at(-1)!.yielded).toBe(0);
    expect(loaded.state.resetAt).toBeInstanceOf(Date);
    expect(loaded.state.resetAt!.toISOString()).toBe('2024-02-02T00:00:00.000Z');
  });

  it('replays everything when there is no snapshot', async () => {
    const repo = repository(neverSnapshot);
    await build(repo, 4);
    events.reads.length = 0;
    const loaded = await repo.load('c1');
    expect(loaded.state.count).toBe(4);
    expect(events.reads[0]!.yielded).toBe(5);
    expect(problems).toEqual([]);
  });

  it('ignores a snapshot of another state version and replays everything', async () => {
    await build(repository(everyNEvents(2)), 5);
    class CounterV2 extends Counter {
      static override readonly stateVersion = 2;
    }
    const loaded = await repository(everyNEvents(2), snapshots, CounterV2).load('c1');
    expect(loaded.state.count).toBe(5);
    expect(loaded.version).toBe(6);
    expect(problems.map((p) => p.kind)).toEqual(['outdated']);
    expect(events.reads.at(-1)!.options.from).toBe(1);
  });

  it('falls back to full replay when the snapshot state is corrupt', async () => {
    const repo = repository(neverSnapshot);
    await build(repo, 4);
    await snapshots.save({
      aggregateType: 'Counter',
      aggregateId: 'c1',
      version: 3,
      stateVersion: 1,
      state: { count: 'many' },
      createdAt: new Date(),
    });
    const loaded = await repo.load('c1');
    expect(loaded.state).toEqual({ label: 'c', count: 4, resetAt: null });
    expect(loaded.version).toBe(5);
    expect(problems.map((p) => p.kind)).toEqual(['corrupt']);
  });

  it('falls back to full replay when the snapshot version is nonsense', async () => {
    const repo = repository(neverSnapshot);
    await build(repo, 2);
    await snapshots.save({
      aggregateType: 'Counter',
      aggregateId: 'c1',
      version: -4,
      stateVersion: 1,
      state: { label: 'x', count: 99, resetAt: null },
      createdAt: new Date(),
    });
    const loaded = await repo.load('c1');
    expect(loaded.state.count).toBe(2);
    expect(problems.map((p) => p.kind)).toEqual(['corrupt']);
  });

  it('deletes a snapshot beyond the end of its stream on the conflict it causes, so update() and a reload succeed', async () => {
    const repo = repository(neverSnapshot);
    await build(repo, 2); // stream at version 3, count 2
    // A corrupt row (or one restored from another database) claims a version the stream never reached.
    await snapshots.save({
      aggregateType: 'Counter',
      aggregateId: 'c1',
      version: 999,
      stateVersion: 1,
      state: { label: 'c', count: 50, resetAt: null },
      createdAt: new Date(),
    });
    const counter = await repo.load('c1');
    counter.increment(1);
    const conflict = await repo.save(counter).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ConcurrencyError);
    expect(problems).toMatchObject([{ kind: 'corrupt', aggregateType: 'Counter', aggregateId: 'c1' }]);
    expect(String((problems[0]!.error as Error).message)).toMatch(/version 999, but the stream ends at version 3/);
    expect(await snapshots.get('Counter', 'c1')).toBeUndefined();
    // What the ConcurrencyError says to do now works: reload (a full replay) and retry.
    const updated = await repo.update('c1', (c) => c.increment(1));
    expect(updated.version).toBe(4);
    expect(updated.state.count).toBe(3);
  });

  it('keeps the snapshot on an ordinary conflict (another writer got ahead)', async () => {
    const repo = repository(everyNEvents(2));
    await build(repo, 1); // snapshot at 2
    const stale = await repo.load('c1');
    const fresh = await repo.load('c1');
    fresh.increment(1);
    await repo.save(fresh);
    stale.increment(1);
    await expect(repo.save(stale)).rejects.toBeInstanceOf(ConcurrencyError);
    expect(problems).toEqual([]);
    expect((await snapshots.get('Counter', 'c1'))?.version).toBe(2);
  });

  it('falls back to full replay when the snapshot store is down', async () => {
    const repo = repository(everyNEvents(2));
    await build(repo, 4);
    snapshots.failGet = true;
    const loaded = await repo.load('c1');
    expect(loaded.state.count).toBe(4);
    expect(problems.map((p) => p.kind)).toEqual(['read-failed']);
    expect(problems[0]!.error).toBeInstanceOf(Error);
  });

  it('never fails a save because of a snapshot failure', async () => {
    snapshots.failSave = true;
    const repo = repository(everyNEvents(1));
    const counter = await build(repo, 2);
    expect(counter.uncommittedEvents).toEqual([]);
    expect((await repo.load('c1')).state.count).toBe(2);
    expect(problems.map((p) => p.kind)).toEqual(['write-failed', 'write-failed', 'write-failed']);
  });

  it('never fails a save because the snapshot policy throws', async () => {
    const repo = repository({
      shouldSnapshot: () => {
        throw new Error('bad policy');
      },
    });
    const counter = await build(repo, 1);
    expect(counter.uncommittedEvents).toEqual([]);
    expect(problems.map((p) => p.kind)).toEqual(['write-failed', 'write-failed']);
  });

  it('survives a reporter that throws', async () => {
    snapshots.failSave = true;
    const repo = new AggregateRepository(events, Counter, {
      snapshots: { store: snapshots, policy: everyNEvents(1) },
      onSnapshotProblem: () => {
        throw new Error('bad reporter');
      },
    });
    await expect(build(repo, 1)).resolves.toBeInstanceOf(Counter);
  });

  it('snapshot() without a snapshot store is an error', async () => {
    const repo = new AggregateRepository(events, Counter);
    await expect(repo.snapshot(new Counter('x'))).rejects.toThrow(/no snapshot store/);
  });
});

describe('AggregateRepository with snapshots on a tenant view', () => {
  it("reads and writes the snapshot store's view of its tenant", async () => {
    const alice = new AggregateRepository(events.forTenant('alice'), Counter, {
      snapshots: { store: snapshots, policy: everyNEvents(2) },
    });
    await build(alice, 3);
    expect(await snapshots.get('Counter', 'c1')).toBeUndefined();
    expect(await snapshots.forTenant('alice').get('Counter', 'c1')).toMatchObject({ tenantId: 'alice', version: 4 });
  });

  it("ignores another tenant's snapshot from a snapshot store that does not keep its views apart", async () => {
    await build(repository(), 3); // no tenant: events and snapshot of c1 belong to the unscoped store
    const leaky: SnapshotStore = {
      save: (snapshot) => snapshots.save(snapshot),
      get: async () => ({ ...(await snapshots.get('Counter', 'c1'))!, tenantId: 'bob' }),
      delete: (type, id) => snapshots.delete(type, id),
      deleteByType: (type) => snapshots.deleteByType(type),
      forTenant: () => leaky,
    };
    const alice = new AggregateRepository(events.forTenant('alice'), Counter, {
      snapshots: { store: leaky },
      onSnapshotProblem: (p) => problems.push(p),
    });
    expect((await alice.loadOrCreate('c1')).version).toBe(0);
    expect(problems.map((p) => [p.kind, (p.error as Error).name])).toEqual([['corrupt', 'TenantMismatchError']]);
  });

  it('refuses a snapshot store without tenant views for a tenant view', () => {
    const noViews = { save: async () => undefined, get: async () => undefined } as unknown as SnapshotStore; // written before forTenant existed
    expect(
      () => new AggregateRepository(events.forTenant('alice'), Counter, { snapshots: { store: noViews } }),
    ).toThrow(/forTenant/);
  });
});
