import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, TenantMismatchError } from '../errors.js';
import type { Snapshot, SnapshotStore } from '../snapshots/snapshot-store.js';

/** What a snapshot store factory gives the suite: a fresh, empty store. */
export interface SnapshotStoreUnderTest {
  readonly store: SnapshotStore;
  readonly teardown?: () => Promise<void>;
}

/**
 * The contract every `SnapshotStore` adapter must meet, as one vitest suite.
 *
 * @example
 * ```ts
 * snapshotStoreConformanceSuite('InMemorySnapshotStore', async () => ({ store: new InMemorySnapshotStore() }));
 * ```
 */
export function snapshotStoreConformanceSuite(name: string, factory: () => Promise<SnapshotStoreUnderTest>): void {
  describe(`${name} (snapshot store conformance)`, () => {
    let current: SnapshotStoreUnderTest | undefined;
    beforeEach(async () => {
      current = await factory();
    });
    afterEach(async () => {
      const done = current;
      current = undefined;
      await done?.teardown?.();
    });
    const store = () => current!.store;

    it('returns undefined for an aggregate without a snapshot', async () => {
      expect(await store().get('Account', randomUUID())).toBeUndefined();
    });

    it('saves and returns a snapshot with its state, versions and creation time intact', async () => {
      const snapshot = snapshotOf('Account', randomUUID(), 12, {
        state: {
          balance: '10.25',
          owner: 'Zoë',
          tags: ['a', null, 3, true],
          nested: { at: '2024-01-01T00:00:00.000Z', big: '18446744073709551617' },
        },
        stateVersion: 4,
      });
      await store().save(snapshot);
      const read = await store().get('Account', snapshot.aggregateId);
      expect(read).toBeDefined();
      expect(read!.aggregateType).toBe('Account');
      expect(read!.aggregateId).toBe(snapshot.aggregateId);
      expect(read!.version).toBe(12);
      expect(read!.stateVersion).toBe(4);
      expect(read!.state).toEqual(snapshot.state);
      expect(read!.createdAt).toBeInstanceOf(Date);
      expect(read!.createdAt.getTime()).toBe(snapshot.createdAt.getTime());
    });

    it("round-trips the schema fingerprint, keeps a snapshot without one without it, and replaces one with another's", async () => {
      const [withOne, without] = [randomUUID(), randomUUID()];
      await store().save(snapshotOf('Account', withOne, 3, { fingerprint: '39d2f413f06c3185' }));
      await store().save(snapshotOf('Account', without, 3));
      expect((await store().get('Account', withOne))!.fingerprint).toBe('39d2f413f06c3185');
      const plain = await store().get('Account', without);
      expect(plain!.fingerprint).toBeUndefined();
      expect('fingerprint' in plain!).toBe(false);
      // A new schema's snapshot at the same version replaces the old one, fingerprint included.
      await store().save(snapshotOf('Account', withOne, 3, { fingerprint: 'a1b2c3d4e5f60718', state: { v: 'new' } }));
      expect(await store().get('Account', withOne)).toMatchObject({
        fingerprint: 'a1b2c3d4e5f60718',
        state: { v: 'new' },
      });
      await store().save(snapshotOf('Account', withOne, 4));
      expect((await store().get('Account', withOne))!.fingerprint).toBeUndefined();
      // An older snapshot changes nothing, its fingerprint neither.
      await store().save(snapshotOf('Account', withOne, 2, { fingerprint: 'ffffffffffffffff' }));
      expect(await store().get('Account', withOne)).toMatchObject({ version: 4 });
      expect((await store().get('Account', withOne))!.fingerprint).toBeUndefined();
      const tenant = store().forTenant('t1');
      await tenant.save(snapshotOf('Account', without, 1, { fingerprint: '0123456789abcdef' }));
      expect((await tenant.get('Account', without))!.fingerprint).toBe('0123456789abcdef');
    });

    it('replaces a snapshot with a newer one, and ignores an older one', async () => {
      const id = randomUUID();
      await store().save(snapshotOf('Account', id, 10, { state: { v: 10 } }));
      await store().save(snapshotOf('Account', id, 20, { state: { v: 20 } }));
      expect((await store().get('Account', id))!.state).toEqual({ v: 20 });
      await store().save(snapshotOf('Account', id, 15, { state: { v: 15 } }));
      const read = await store().get('Account', id);
      expect(read!.version).toBe(20);
      expect(read!.state).toEqual({ v: 20 });
    });

    it('replaces a snapshot at the same version (for example after a state version change)', async () => {
      const id = randomUUID();
      await store().save(snapshotOf('Account', id, 10, { state: { v: 'old' }, stateVersion: 1 }));
      await store().save(snapshotOf('Account', id, 10, { state: { v: 'new' }, stateVersion: 2 }));
      const read = await store().get('Account', id);
      expect(read!.stateVersion).toBe(2);
      expect(read!.state).toEqual({ v: 'new' });
    });

    it('keys snapshots by aggregate type and id', async () => {
      const id = randomUUID();
      await store().save(snapshotOf('Account', id, 1, { state: 'account' }));
      await store().save(snapshotOf('Customer', id, 2, { state: 'customer' }));
      expect((await store().get('Account', id))!.state).toBe('account');
      expect((await store().get('Customer', id))!.state).toBe('customer');
      expect(await store().get('Account', randomUUID())).toBeUndefined();
    });

    it('is not affected by changes to a snapshot object after save or get', async () => {
      const id = randomUUID();
      const state = { list: [1, 2] };
      await store().save(snapshotOf('Account', id, 1, { state }));
      state.list.push(3);
      const read = await store().get('Account', id);
      expect(read!.state).toEqual({ list: [1, 2] });
      (read!.state as { list: number[] }).list.push(4);
      expect((await store().get('Account', id))!.state).toEqual({ list: [1, 2] });
    });

    it('deletes one snapshot', async () => {
      const id = randomUUID();
      const other = randomUUID();
      await store().save(snapshotOf('Account', id, 1));
      await store().save(snapshotOf('Account', other, 1));
      await store().delete('Account', id);
      expect(await store().get('Account', id)).toBeUndefined();
      expect(await store().get('Account', other)).toBeDefined();
      await store().delete('Account', randomUUID()); // deleting nothing is fine
    });

    it('deletes every snapshot of a type, or those below a state version, and counts them', async () => {
      const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await store().save(snapshotOf('Account', a, 1, { stateVersion: 1 }));
      await store().save(snapshotOf('Account', b, 1, { stateVersion: 2 }));
      await store().save(snapshotOf('Account', c, 1, { stateVersion: 3 }));
      await store().save(snapshotOf('Customer', d, 1, { stateVersion: 1 }));
      expect(await store().deleteByType('Account', 3)).toBe(2);
      expect(await store().get('Account', a)).toBeUndefined();
      expect(await store().get('Account', b)).toBeUndefined();
      expect(await store().get('Account', c)).toBeDefined();
      expect(await store().deleteByType('Account')).toBe(1);
      expect(await store().get('Account', c)).toBeUndefined();
      expect(await store().get('Customer', d)).toBeDefined();
      expect(await store().deleteByType('Nothing')).toBe(0);
    });

    it("keeps each tenant view's snapshots apart from the other tenants' and from the unscoped store's", async () => {
      const id = randomUUID();
      const [t1, t2] = [store().forTenant('t1'), store().forTenant('t2')];
      await t1.save(snapshotOf('Account', id, 5, { state: 't1 state', stateVersion: 1 }));
      await t2.save(snapshotOf('Account', id, 3, { state: 't2 state', stateVersion: 2 }));
      await store().save(snapshotOf('Account', id, 1, { state: 'unscoped state', stateVersion: 1 }));
      // An older snapshot in one scope never blocks or replaces a newer one in another.
      expect(await t1.get('Account', id)).toMatchObject({ tenantId: 't1', version: 5, state: 't1 state' });
      expect(await t2.get('Account', id)).toMatchObject({ tenantId: 't2', version: 3, state: 't2 state' });
      const unscoped = await store().get('Account', id);
      expect(unscoped).toMatchObject({ version: 1, state: 'unscoped state' });
      expect(unscoped!.tenantId).toBeUndefined();
      expect(await store().forTenant('t3').get('Account', id)).toBeUndefined();
      // A view saves only its own tenant's snapshots; the unscoped store only its own.
      await expect(t1.save({ ...snapshotOf('Account', id, 9), tenantId: 't2' })).rejects.toBeInstanceOf(
        TenantMismatchError,
      );
      await expect(store().save({ ...snapshotOf('Account', id, 9), tenantId: 't2' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await t1.save({ ...snapshotOf('Account', id, 6, { state: 't1 again' }), tenantId: 't1' });
      expect((await t2.get('Account', id))!.state).toBe('t2 state');
      await t2.delete('Account', id);
      expect(await t2.get('Account', id)).toBeUndefined();
      expect((await t1.get('Account', id))!.state).toBe('t1 again');
      expect(await store().get('Account', id)).toBeDefined();
      // deleteByType: a view deletes its own; the unscoped store every tenant's.
      await t2.save(snapshotOf('Account', id, 3, { stateVersion: 1 }));
      expect(await t1.deleteByType('Account', 2)).toBe(1);
      expect(await t2.get('Account', id)).toBeDefined();
      expect(await store().deleteByType('Account', 2)).toBe(2);
      expect(await t2.get('Account', id)).toBeUndefined();
      expect(() => store().forTenant('')).toThrow(InvalidArgumentError);
    });
  });
}

function snapshotOf(
  aggregateType: string,
  aggregateId: string,
  version: number,
  overrides: Partial<Pick<Snapshot, 'state' | 'stateVersion' | 'fingerprint'>> = {},
): Snapshot {
  return {
    aggregateType,
    aggregateId,
    version,
    stateVersion: overrides.stateVersion ?? 1,
    ...(overrides.fingerprint !== undefined ? { fingerprint: overrides.fingerprint } : {}),
    state: overrides.state ?? { version },
    createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, version)),
  };
}
