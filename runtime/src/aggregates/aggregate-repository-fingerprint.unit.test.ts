import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import type { JsonObject } from '../events/json.js';
import { defineUpcaster } from '../events/upcaster.js';
import { InMemorySnapshotStore } from '../snapshots/memory/in-memory-snapshot-store.js';
import { everyNEvents } from '../snapshots/snapshot-store.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { AggregateRoot } from './aggregate-root.js';
import { AggregateRepository, type SnapshotProblem } from './aggregate-repository.js';
import { handles } from './handles.js';

// The scenario. The first release stored prices in cents (ItemAdded v1). The second one
// stores units (v2) and its upcaster turns stored cents into units; nobody bumped stateVersion.
// A snapshot taken by the first release holds total 600 where a replay now gives 6.

class ItemAddedV1 extends defineEvent({
  type: 'ItemAdded',
  version: 1,
  schema: z.object({ priceCents: z.number().int() }),
}) {}
class ItemAdded extends defineEvent({ type: 'ItemAdded', version: 2, schema: z.object({ price: z.number() }) }) {}
const centsToUnits = defineUpcaster<{ priceCents: number }, JsonObject>({
  eventType: 'ItemAdded',
  fromVersion: 1,
  upcast: (data) => ({ price: data.priceCents / 100 }),
});

interface CartState {
  readonly total: number;
}

/** The first release's aggregate (fingerprint of its YAML: 'release-1'). */
class CartV1 extends AggregateRoot<CartState> {
  static override readonly aggregateType = 'Cart';
  static override readonly snapshotFingerprint: string | undefined = 'release-1';
  protected initialState(): CartState {
    return { total: 0 };
  }
  add(priceCents: number): void {
    this.raise(new ItemAddedV1({ priceCents }));
  }
  @handles(ItemAddedV1)
  onItemAdded(event: ItemAddedV1): CartState {
    return { total: this.state.total + event.data.priceCents };
  }
}

/** The second release's: same stateVersion, another fingerprint (an event version and an upcast step changed). */
class CartV2 extends AggregateRoot<CartState> {
  static override readonly aggregateType = 'Cart';
  static override readonly snapshotFingerprint: string | undefined = 'release-2';
  protected initialState(): CartState {
    return { total: 0 };
  }
  @handles(ItemAdded)
  onItemAdded(event: ItemAdded): CartState {
    return { total: this.state.total + event.data.price };
  }
}

/** The second release as it was before fingerprints: nothing tells its snapshots apart from the first's. */
class CartV2SameFingerprint extends CartV2 {
  static override readonly snapshotFingerprint: string | undefined = 'release-1';
}

/** Six items of 100 cents saved by the first release, with a snapshot at version 6. */
async function storedByRelease1() {
  const events = new InMemoryEventStore({
    registry: EventRegistry.create({ events: [ItemAdded], upcasters: [centsToUnits] }),
  });
  const snapshots = new InMemorySnapshotStore();
  const cart = new CartV1('cart-1');
  for (let i = 0; i < 6; i++) cart.add(100);
  await new AggregateRepository(events, CartV1, { snapshots: { store: snapshots, policy: everyNEvents(6) } }).save(
    cart,
  );
  return { events, snapshots };
}

describe('AggregateRepository: snapshot fingerprints', () => {
  it('stores the class fingerprint with each snapshot', async () => {
    const { snapshots } = await storedByRelease1();
    expect(await snapshots.get('Cart', 'cart-1')).toMatchObject({
      version: 6,
      stateVersion: 1,
      fingerprint: 'release-1',
      state: { total: 600 },
    });
  });

  it('ignores a snapshot taken under another fingerprint and replays in full (total 6, not 600)', async () => {
    const { events, snapshots } = await storedByRelease1();
    const problems: SnapshotProblem[] = [];
    const repo = new AggregateRepository(events, CartV2, {
      snapshots: { store: snapshots, policy: everyNEvents(6) },
      onSnapshotProblem: (p) => problems.push(p),
    });
    const cart = await repo.load('cart-1');
    expect(cart.state).toEqual({ total: 6 });
    expect(cart.version).toBe(6);
    expect(problems).toEqual([
      { kind: 'outdated', outdatedBy: 'fingerprint', aggregateType: 'Cart', aggregateId: 'cart-1' },
    ]);
    // The hazard this guards against: with an unchanged fingerprint the old snapshot is trusted.
    expect(
      (await new AggregateRepository(events, CartV2SameFingerprint, { snapshots: { store: snapshots } }).load('cart-1'))
        .state,
    ).toEqual({ total: 600 });
  });

  it('ignores a snapshot without a fingerprint (saved before the class had one)', async () => {
    const { events, snapshots } = await storedByRelease1();
    const stored = (await snapshots.get('Cart', 'cart-1'))!;
    const { fingerprint: _dropped, ...withoutFingerprint } = stored;
    await snapshots.delete('Cart', 'cart-1');
    await snapshots.save(withoutFingerprint);
    const problems: SnapshotProblem[] = [];
    const cart = await new AggregateRepository(events, CartV2, {
      snapshots: { store: snapshots },
      onSnapshotProblem: (p) => problems.push(p),
    }).load('cart-1');
    expect(cart.state).toEqual({ total: 6 });
    expect(problems.map((p) => p.outdatedBy)).toEqual(['fingerprint']);
  });

  it('uses a snapshot with the same fingerprint, and a new one replaces the outdated snapshot', async () => {
    const { events, snapshots } = await storedByRelease1();
    const repo = new AggregateRepository(events, CartV2, { snapshots: { store: snapshots } });
    await repo.snapshot(await repo.load('cart-1'));
    expect(await snapshots.get('Cart', 'cart-1')).toMatchObject({
      version: 6,
      fingerprint: 'release-2',
      state: { total: 6 },
    });
    // Restored from the snapshot now: a state edited in the store shows it was read.
    await snapshots.save({ ...(await snapshots.get('Cart', 'cart-1'))!, state: { total: 7 } });
    expect((await repo.load('cart-1')).state).toEqual({ total: 7 });
  });

  it('a class without a fingerprint stores none and ignores a snapshot that has one', async () => {
    const { events, snapshots } = await storedByRelease1();
    class HandWritten extends CartV2 {
      static override readonly snapshotFingerprint: string | undefined = undefined;
    }
    const repo = new AggregateRepository(events, HandWritten, { snapshots: { store: snapshots } });
    const cart = await repo.load('cart-1');
    expect(cart.state).toEqual({ total: 6 });
    await repo.snapshot(cart);
    const stored = await snapshots.get('Cart', 'cart-1');
    expect(stored).toBeDefined();
    expect(stored!.fingerprint).toBeUndefined();
    expect('fingerprint' in stored!).toBe(false);
  });
});
