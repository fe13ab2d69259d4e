import type { Snapshot, SnapshotStore } from '../snapshot-store.js';

/** Snapshots in process memory. */
export class InMemorySnapshotStore implements SnapshotStore {
  readonly #snapshots = new Map<string, Snapshot>();

  async save(snapshot: Snapshot): Promise<void> {
    const key = keyOf(snapshot.aggregateType, snapshot.aggregateId);
    const existing = this.#snapshots.get(key);
    if (existing && existing.version > snapshot.version) return;
    this.#snapshots.set(key, structuredClone(snapshot));
  }

  async get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined> {
    const snapshot = this.#snapshots.get(keyOf(aggregateType, aggregateId));
    return snapshot && structuredClone(snapshot);
  }

  async delete(aggregateType: string, aggregateId: string): Promise<void> {
    this.#snapshots.delete(keyOf(aggregateType, aggregateId));
  }

  async deleteByType(aggregateType: string, stateVersionBelow?: number): Promise<number> {
    let deleted = 0;
    for (const [key, snapshot] of this.#snapshots) {
      if (snapshot.aggregateType !== aggregateType) continue;
      if (stateVersionBelow !== undefined && snapshot.stateVersion >= stateVersionBelow) continue;
      this.#snapshots.delete(key);
      deleted++;
    }
    return deleted;
  }
}

function keyOf(aggregateType: string, aggregateId: string): string {
  return `${aggregateType}\u0000${aggregateId}`;
}
