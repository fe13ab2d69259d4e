/** Which aggregate, in which consumer group, a version high-water mark belongs to. */
export interface AggregateVersionKey {
  readonly group: string;
  /** The event's tenant; `null` for events without one. */
  readonly tenantId: string | null;
  readonly aggregateType: string;
  readonly aggregateId: string;
}

/**
 * Where a consumer group's version guard (`SubscribeOptions.versionGuard`) keeps, per aggregate,
 * the highest aggregate version its handler has finished. Use a durable store (for example
 * `SqlAggregateVersionStore` on the application's database) so the guard survives restarts.
 *
 * @example
 * ```ts
 * const versions = new InMemoryAggregateVersionStore();
 * await versions.raise({ group: 'read-model', tenantId: null, aggregateType: 'Account', aggregateId: 'a-1' }, 4);
 * await versions.load({ group: 'read-model', tenantId: null, aggregateType: 'Account', aggregateId: 'a-1' }); // 4
 * ```
 */
export interface AggregateVersionStore {
  /** The highest version handled for the aggregate in the group, or `null` when none was. */
  load(key: AggregateVersionKey): Promise<number | null>;
  /** Raises the mark to `version`; never lowers it (a smaller or equal version changes nothing). */
  raise(key: AggregateVersionKey, version: number): Promise<void>;
}

/**
 * Version marks in process memory: for tests, and for consumers whose state starts over after a
 * restart anyway. It does not survive a restart.
 *
 * @example
 * ```ts
 * bus.subscribe(handler, { group: 'read-model', versionGuard: new InMemoryAggregateVersionStore() });
 * ```
 */
export class InMemoryAggregateVersionStore implements AggregateVersionStore {
  readonly #versions = new Map<string, number>();

  async load(key: AggregateVersionKey): Promise<number | null> {
    return this.#versions.get(versionKeyString(key)) ?? null;
  }

  async raise(key: AggregateVersionKey, version: number): Promise<void> {
    const id = versionKeyString(key);
    if ((this.#versions.get(id) ?? -Infinity) < version) this.#versions.set(id, version);
  }
}

function versionKeyString(key: AggregateVersionKey): string {
  return JSON.stringify([key.group, key.tenantId, key.aggregateType, key.aggregateId]);
}
