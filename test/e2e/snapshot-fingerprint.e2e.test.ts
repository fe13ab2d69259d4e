/**
 * Issue 13's scenario end to end: a snapshot stored by one release of a generated domain, read by
 * the next release after an upcast step turned stored cents into units without a `stateVersion`
 * bump. The generated fingerprint changed with the YAML, so the snapshot (total 600) is ignored and
 * the aggregate replays in full (total 6).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AggregateRepository, everyNEvents, type EventRegistry, type SnapshotProblem } from '@eventsmith/runtime';
import { SqliteEventStore, SqliteSnapshotStore } from '@eventsmith/runtime/sqlite';
import { tempProject, type TempProject } from '../support/temp-project.js';

const RELEASE_1 = `domain: Checkout
aggregates:
  Cart:
    state: { total: number }
    commands:
      add: { params: { price: integer }, emits: ItemAdded }
    events:
      ItemAdded:
        fields: { price: integer }    # cents
`;

const RELEASE_2 = `domain: Checkout
aggregates:
  Cart:
    state: { total: number }
    commands:
      add: { params: { price: decimal }, emits: ItemAdded }
    events:
      ItemAdded:
        version: 2
        fields: { price: decimal }    # units
        history:
          1:
            fields: { price: integer }
            upcast:
              - convert: { field: price, using: centsToDecimal }
`;

/** The user's Cart class for a release: `price` is how the handler reads `event.data.price`. */
const cartClass = (price: string) => `import { handles } from '@eventsmith/runtime';
import { CartBase, ItemAdded, type CartAddCommand, type CartState } from '../../generated/index.js';

export class Cart extends CartBase {
  add(command: CartAddCommand): void {
    this.raiseItemAdded({ price: command.price });
  }

  @handles(ItemAdded)
  onItemAdded(event: ItemAdded): CartState {
    return { ...this.state, total: this.state.total + ${price} };
  }
}
`;

interface Release {
  readonly registry: EventRegistry;
  readonly Cart: (new (id: string) => { state: { total: number }; add(command: { price: number | string }): void }) & {
    readonly aggregateType: string;
    readonly stateVersion: number;
    readonly snapshotFingerprint: string;
  };
}

async function release(yaml: string, price: string, projects: TempProject[]): Promise<Release> {
  const project = await tempProject({ 'checkout.yaml': yaml });
  projects.push(project);
  const generated = await project.run('generate', '--config', project.config);
  expect(generated.status, generated.err).toBe(0);
  await project.write('src/aggregates/cart.ts', cartClass(price));
  const index = (await import(pathToFileURL(join(project.root, 'generated/index.ts')).href)) as {
    createCheckoutRegistry(): EventRegistry;
  };
  const { Cart } = (await import(pathToFileURL(join(project.root, 'src/aggregates/cart.ts')).href)) as {
    Cart: Release['Cart'];
  };
  return { registry: index.createCheckoutRegistry(), Cart };
}

describe('snapshots from a previous schema', () => {
  const projects: TempProject[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-fingerprint-'));
  afterAll(async () => {
    for (const project of projects) await project.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are ignored after an upcast step changed what stored events mean, without a stateVersion bump', async () => {
    const filename = join(dir, 'events.db');
    const first = await release(RELEASE_1, 'event.data.price', projects);
    const second = await release(RELEASE_2, 'Number(event.data.price)', projects);
    expect(second.Cart.stateVersion).toBe(first.Cart.stateVersion);
    expect(second.Cart.snapshotFingerprint).not.toBe(first.Cart.snapshotFingerprint);

    // Release 1 stores six items of 100 cents, with a snapshot at version 6.
    const store1 = await SqliteEventStore.open({ filename, registry: first.registry });
    try {
      const snapshots = new SqliteSnapshotStore(store1.db);
      const carts = new AggregateRepository(store1, first.Cart as never, {
        snapshots: { store: snapshots, policy: everyNEvents(6) },
      });
      const cart = new first.Cart('cart-1');
      for (let i = 0; i < 6; i++) cart.add({ price: 100 });
      await carts.save(cart as never);
      expect(await snapshots.get('Cart', 'cart-1')).toMatchObject({
        version: 6,
        fingerprint: first.Cart.snapshotFingerprint,
        state: { total: 600 },
      });
    } finally {
      await store1.close();
    }

    // Release 2 reads the same database: the snapshot is outdated, the replay upcasts cents to units.
    const store2 = await SqliteEventStore.open({ filename, registry: second.registry });
    try {
      const snapshots = new SqliteSnapshotStore(store2.db);
      const problems: SnapshotProblem[] = [];
      const carts = new AggregateRepository(store2, second.Cart as never, {
        snapshots: { store: snapshots },
        onSnapshotProblem: (p) => problems.push(p),
      });
      const loaded = (await carts.load('cart-1')) as unknown as { state: { total: number }; version: number };
      expect(loaded.state.total).toBe(6);
      expect(loaded.version).toBe(6);
      expect(problems).toMatchObject([{ kind: 'outdated', outdatedBy: 'fingerprint' }]);
    } finally {
      await store2.close();
    }
  }, 180_000);
});
