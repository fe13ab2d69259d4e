import type { JsonValue } from '../events/json.js';

/** A saved aggregate state at one version. */
export interface Snapshot {
  readonly aggregateType: string;
  readonly aggregateId: string;
  /**
   * The tenant whose view of the aggregate this is: set on snapshots read through
   * `forTenant(tenantId)`, absent on those of the unscoped store. When saving, leave it out (the
   * store's view decides) or give the view's own tenant.
   */
  readonly tenantId?: string;
  /** The aggregate version the state includes. */
  readonly version: number;
  /** The aggregate class's `stateVersion` when it was taken; another value invalidates it. */
  readonly stateVersion: number;
  /**
   * The aggregate class's `snapshotFingerprint` when it was taken (a hash of the state schema and
   * the event versions and upcast steps in the YAML); another value invalidates it. Absent when the
   * class has none.
   */
  readonly fingerprint?: string;
  readonly state: JsonValue;
  readonly createdAt: Date;
}

/**
 * Stores the latest snapshot per aggregate and tenant. Every adapter passes the snapshot
 * conformance suite and the tenant isolation suite.
 *
 * A snapshot store, like an event store, has tenant views: `forTenant(tenantId)` reads and writes
 * only that tenant's snapshots, and the store itself only those of the unscoped event store. An
 * `AggregateRepository` on `eventStore.forTenant(tenantId)` uses the snapshot store's view of the
 * same tenant by itself.
 */
export interface SnapshotStore {
  /**
   * Saves `snapshot` unless a snapshot at a higher version is already stored. Throws
   * `TenantMismatchError` when `snapshot.tenantId` names another tenant than this view's.
   */
  save(snapshot: Snapshot): Promise<void>;
  get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined>;
  delete(aggregateType: string, aggregateId: string): Promise<void>;
  /**
   * Deletes every snapshot of a type whose state version is below `stateVersionBelow` (all if
   * absent): in a tenant view, that tenant's; on the store itself, every tenant's too.
   */
  deleteByType(aggregateType: string, stateVersionBelow?: number): Promise<number>;
  /**
   * A view that reads and writes only `tenantId`'s snapshots.
   *
   * @example
   * ```ts
   * const snapshot = await snapshots.forTenant('acme').get('BankAccount', 'acc-1');
   * ```
   */
  forTenant(tenantId: string): SnapshotStore;
}

/** Decides when a save should take a snapshot. */
export interface SnapshotPolicy {
  /** `fromVersion` is the version before the save, `toVersion` after it. */
  shouldSnapshot(fromVersion: number, toVersion: number): boolean;
}

/**
 * Snapshot whenever a save *crosses* a multiple of `n`: saving versions 8→12 with n = 10 takes
 * one, even though no single event landed on 10.
 */
export function everyNEvents(n: number): SnapshotPolicy {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`everyNEvents(n) needs an integer n ≥ 1, got ${n}.`);
  return { shouldSnapshot: (from, to) => Math.floor(to / n) > Math.floor(from / n) };
}

/** Never snapshot automatically. */
export const neverSnapshot: SnapshotPolicy = { shouldSnapshot: () => false };
