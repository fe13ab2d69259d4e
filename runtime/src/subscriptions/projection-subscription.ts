import type { Kysely } from 'kysely';
import type {
  BatchEventHandler,
  EventHandler,
  SubscriptionOptions,
  SubscriptionTransaction,
} from './subscription-options.js';
import type { Projection } from '../projections/projection.js';

/** Options of `SubscriptionManager.project`: those of a subscription, minus what the projection decides. */
export interface ProjectionSubscriptionOptions extends Omit<
  SubscriptionOptions,
  'name' | 'eventTypes' | 'transaction'
> {
  /**
   * The database holding the projection's tables and its checkpoint, when it is not the event
   * store's. Default: the store's own database, through `store.transaction()`.
   */
  readonly db?: Kysely<any>;
  /** Overrides the transaction mode (default `'store'`, or `{ db }` when `db` is given). */
  readonly transaction?: SubscriptionTransaction;
}

/**
 * Adapts a projection to a subscription handler: `context.db` is the subscription's open
 * transaction, so the projection's rows commit together with its checkpoint. A projection with
 * `handleBatch` becomes a batch handler.
 *
 * @example
 * ```ts
 * manager.subscribe(projectionHandler(accountSummary), { name: accountSummary.name, transaction: 'store' });
 * ```
 */
export function projectionHandler<Db>(projection: Projection<Db>): EventHandler | BatchEventHandler {
  if (projection.handleBatch) {
    const handleBatch = projection.handleBatch.bind(projection);
    return { handleBatch: (batch, context) => handleBatch(batch, { db: context.sql as Db }) };
  }
  return {
    handle: (stored, context) => projection.handle(stored, { db: context.sql as Db }),
  };
}
