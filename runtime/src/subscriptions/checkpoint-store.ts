import type { Position } from '../store/position.js';
import { CheckpointConflictError } from './subscription-errors.js';

/** Where a subscription has got to: the position of the last event it finished with. */
export interface Checkpoint {
  readonly name: string;
  readonly position: Position;
  readonly updatedAt: Date;
}

export interface SaveCheckpointOptions {
  /**
   * Compare-and-set: save only if the stored position is exactly this (`null`: nothing stored yet),
   * otherwise throw {@link CheckpointConflictError}. The manager always passes it, so a second
   * process that runs the same subscription by mistake fails instead of double-applying a batch.
   */
  readonly expected?: Position | null;
  /**
   * The transaction to write in: a Kysely `Transaction` for SQL checkpoint stores, so that the
   * checkpoint commits together with a projection's rows. Ignored by the in-memory store.
   */
  readonly transaction?: unknown;
}

/**
 * Stores one position per subscription name. Checkpoints are **monotonic**: `save` never moves
 * one backwards (an older position is ignored); only `reset` does, on purpose.
 *
 * @example
 * ```ts
 * const checkpoints = new InMemoryCheckpointStore();
 * await checkpoints.save('AccountSummary', stored.position);
 * const resumeAfter = await checkpoints.load('AccountSummary'); // Position | null
 * ```
 */
export interface CheckpointStore {
  /** True when checkpoints survive a restart (SQL stores). */
  readonly durable: boolean;
  /** True when `save` can join a transaction passed in `options.transaction`. */
  readonly transactional: boolean;
  /** The saved position, or `null` when the subscription has none. */
  load(name: string): Promise<Position | null>;
  /**
   * Moves the checkpoint forward to `position`. Returns false (and changes nothing) when the
   * stored position is already at or after it.
   */
  save(name: string, position: Position, options?: SaveCheckpointOptions): Promise<boolean>;
  /** Sets the checkpoint to `position`, backwards included; `null` deletes it (start over). */
  reset(name: string, position: Position | null, options?: { transaction?: unknown }): Promise<void>;
  /** Every checkpoint, ordered by name. */
  list(): Promise<Checkpoint[]>;
}

/**
 * Checkpoints in process memory: for tests and for subscriptions that may start over after a restart.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, checkpoints: new InMemoryCheckpointStore() });
 * ```
 */
export class InMemoryCheckpointStore implements CheckpointStore {
  readonly durable = false;
  readonly transactional = false;
  readonly #checkpoints = new Map<string, Checkpoint>();

  async load(name: string): Promise<Position | null> {
    return this.#checkpoints.get(name)?.position ?? null;
  }

  async save(name: string, position: Position, options: SaveCheckpointOptions = {}): Promise<boolean> {
    const current = this.#checkpoints.get(name)?.position ?? null;
    if (options.expected !== undefined && !samePosition(current, options.expected)) {
      throw new CheckpointConflictError(name, options.expected?.toString() ?? null, current?.toString() ?? null);
    }
    if (current && !position.isAfter(current)) return false;
    this.#checkpoints.set(name, { name, position, updatedAt: new Date() });
    return true;
  }

  async reset(name: string, position: Position | null): Promise<void> {
    if (position === null) this.#checkpoints.delete(name);
    else this.#checkpoints.set(name, { name, position, updatedAt: new Date() });
  }

  async list(): Promise<Checkpoint[]> {
    return [...this.#checkpoints.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Equality of two optional positions. */
export function samePosition(a: Position | null, b: Position | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}
