import type { Position } from '../store/position.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { SubscriptionConfigError } from './subscription-errors.js';

/**
 * The checkpoint of one subscription as its runner knows it, and the save that compares it with the stored one
 * (a runner whose lock was taken over fails there with a CheckpointConflictError). Internal to the runner.
 */
export class RunnerCheckpoint {
  readonly #subscription: string;
  readonly #checkpoints: CheckpointStore;
  readonly #onProgress: ((subscription: string, position: Position) => void) | undefined;
  #position: Position | null = null;

  constructor(
    subscription: string,
    checkpoints: CheckpointStore,
    onProgress: ((subscription: string, position: Position) => void) | undefined,
  ) {
    this.#subscription = subscription;
    this.#checkpoints = checkpoints;
    this.#onProgress = onProgress;
  }

  /** Last checkpointed position as the runner knows it (null before the first). */
  get position(): Position | null {
    return this.#position;
  }

  /** Every change of the known checkpoint goes through here, so the manager can tell waiters. */
  set position(position: Position | null) {
    this.#position = position;
    if (position !== null) this.#onProgress?.(this.#subscription, position);
  }

  /** Saves `position` if the stored checkpoint is still the known one; in `sql`'s transaction when given. */
  async save(position: Position, sql: unknown): Promise<void> {
    const checkpoints = this.#checkpoints;
    if (sql !== undefined && !checkpoints.transactional) {
      throw new SubscriptionConfigError(
        this.#subscription,
        'runs in SQL transactions, but its checkpoint store cannot join them; use a SqlCheckpointStore on the same database.',
      );
    }
    await checkpoints.save(this.#subscription, position, {
      expected: this.#position,
      ...(sql !== undefined ? { transaction: sql } : {}),
    });
  }
}
