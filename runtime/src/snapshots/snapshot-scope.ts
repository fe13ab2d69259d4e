import { InvalidArgumentError, TenantMismatchError } from '../errors.js';
import { idEndProblem } from '../events/json.js';
import type { Snapshot } from './snapshot-store.js';

/** The tenant a snapshot store view reads and writes, shared by the adapters. */
export interface SnapshotScope {
  readonly tenantId: string | undefined;
  /**
   * The key column value: the tenant, or `''` for the unscoped store's own snapshots (tenant ids
   * are never empty, so the two cannot meet).
   */
  readonly key: string;
  /** `snapshot` as this view stores it; throws when it names another tenant. */
  stamp(snapshot: Snapshot): Snapshot;
}

/** Validates `tenantId` (undefined: the unscoped store) and returns its scope. */
export function snapshotScope(tenantId: string | undefined): SnapshotScope {
  if (tenantId !== undefined && (typeof tenantId !== 'string' || tenantId.length === 0)) {
    throw new InvalidArgumentError('forTenant needs a non-empty tenant id.');
  }
  const problem = tenantId === undefined ? undefined : idEndProblem(tenantId);
  if (problem !== undefined) throw new InvalidArgumentError(`The tenant id ${JSON.stringify(tenantId)} ${problem}.`);
  return {
    tenantId,
    key: tenantId ?? '',
    stamp(snapshot) {
      if (snapshot.tenantId === tenantId) return snapshot;
      if (tenantId === undefined) {
        throw new InvalidArgumentError(
          `Save tenant "${snapshot.tenantId}"'s snapshot through snapshots.forTenant("${snapshot.tenantId}").`,
        );
      }
      if (snapshot.tenantId !== undefined) throw new TenantMismatchError(tenantId, snapshot.tenantId);
      return { ...snapshot, tenantId };
    },
  };
}
