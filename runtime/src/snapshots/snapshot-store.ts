import type { JsonValue } from '../events/json.js';

/** A saved aggregate state at one version. */
export interface Snapshot {
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The aggregate version the state includes. */
  readonly version: number;
  /** The aggregate class's `stateVersion` when it was taken; another value invalidates it. */
  readonly stateVersion: number;
  readonly state: JsonValue;
  readonly createdAt: Date;
}

/** Stores the latest snapshot per aggregate. Every adapter passes the snapshot conformance suite. */
export interface SnapshotStore {
  /** Saves `snapshot` unless a snapshot at a higher version is already stored. */
  save(snapshot: Snapshot): Promise<void>;
  get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined>;
  delete(aggregateType: string, aggregateId: string): Promise<void>;
  /** Deletes every snapshot of a type whose state version is below `stateVersionBelow` (all if absent). */
  deleteByType(aggregateType: string, stateVersionBelow?: number): Promise<number>;
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
