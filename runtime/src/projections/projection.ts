import type { Kysely } from 'kysely';
import type { StoredEvent } from '../store/event-store.js';

/** What a projection handler writes through. */
export interface ProjectionContext<Db> {
  /**
   * The database handle to write read-model rows with. Under the subscription manager this is
   * the same transaction that saves the projection's checkpoint, so rows and checkpoint commit
   * together. During a rebuild its table names point at the shadow tables.
   */
  readonly db: Db;
}

/**
 * A read model fed by events. Generated SQL projections implement it; hand-written ones can too.
 *
 * @example
 * ```ts
 * export const accountSummary = defineProjection<Kysely<AccountSummaryTables>>({
 *   name: 'AccountSummary',
 *   eventTypes: ['AccountOpened', 'MoneyDeposited'],
 *   tables: ['account_summary'],
 *   async handle({ event }, { db }) {
 *     if (event instanceof MoneyDeposited) {
 *       await db.updateTable('account_summary').set((eb) => ({ balance: eb('balance', '+', event.data.amount) }))
 *         .where('account_id', '=', event.aggregateId).execute();
 *     }
 *   },
 * });
 * ```
 */
export interface Projection<Db = Kysely<any>> {
  /** Unique; also the subscription and checkpoint name. */
  readonly name: string;
  /** The (current) event type names it handles; the store filters on them. */
  readonly eventTypes: readonly string[];
  /** Tables it owns, truncated and rebuilt by `rebuild`. */
  readonly tables: readonly string[];
  handle(stored: StoredEvent, context: ProjectionContext<Db>): Promise<void>;
  /**
   * Optional: handles a page of the feed at once, in order, with the same result as calling
   * `handle` for each event. The subscription manager prefers it; when a batch fails, it falls
   * back to one-event batches to isolate, retry and dead-letter the failing event.
   */
  handleBatch?(batch: readonly StoredEvent[], context: ProjectionContext<Db>): Promise<void>;
}

/** Identity helper that checks a projection's shape and infers its types. */
export function defineProjection<Db = Kysely<any>>(projection: Projection<Db>): Projection<Db> {
  return projection;
}
