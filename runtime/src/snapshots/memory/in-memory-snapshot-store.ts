import type { Snapshot, SnapshotStore } from '../snapshot-store.js';
import { snapshotScope, type SnapshotScope } from '../snapshot-scope.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

/** Snapshots in process memory. Tenant views made with `forTenant` share the store's memory. */
export class InMemorySnapshotStore implements SnapshotStore {
  readonly #snapshots: Map<string, Snapshot>;
  readonly #scope: SnapshotScope;

  constructor();
  /** @internal A tenant view over `snapshots`. */
  constructor(snapshots: Map<string, Snapshot>, tenantId: string);
  constructor(snapshots?: Map<string, Snapshot>, tenantId?: string) {
    this.#snapshots = snapshots ?? new Map();
    this.#scope = snapshotScope(tenantId);
  }

  async save(snapshot: Snapshot): Promise<void> {
    const scoped = this.#scope.stamp(snapshot);
    const key = this.#key(snapshot.aggregateType, snapshot.aggregateId);
    const existing = this.#snapshots.get(key);
    if (existing && existing.version > snapshot.version) return;
    this.#snapshots.set(key, structuredClone(scoped));
  }

  async get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined> {
    const snapshot = this.#snapshots.get(this.#key(aggregateType, aggregateId));
    return snapshot && structuredClone(snapshot);
  }

  async delete(aggregateType: string, aggregateId: string): Promise<void> {
    this.#snapshots.delete(this.#key(aggregateType, aggregateId));
  }

  async deleteByType(aggregateType: string, stateVersionBelow?: number): Promise<number> {
    let deleted = 0;
    for (const [key, snapshot] of this.#snapshots) {
      if (snapshot.aggregateType !== aggregateType) continue;
      if (this.#scope.tenantId !== undefined && snapshot.tenantId !== this.#scope.tenantId) continue;
      if (stateVersionBelow !== undefined && snapshot.stateVersion >= stateVersionBelow) continue;
      this.#snapshots.delete(key);
      deleted++;
    }
    return deleted;
  }

  forTenant(tenantId: string): InMemorySnapshotStore {
    if (sameTenantView('snapshot store', this.#scope.tenantId, tenantId)) return this;
    return new InMemorySnapshotStore(this.#snapshots, tenantId);
  }

  #key(aggregateType: string, aggregateId: string): string {
    return JSON.stringify([this.#scope.key, aggregateType, aggregateId]);
  }
}
