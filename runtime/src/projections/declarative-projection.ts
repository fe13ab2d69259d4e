import type { Kysely } from 'kysely';
import type { DomainEvent } from '../events/domain-event.js';
import { applyRowOperation } from './apply-row-operation.js';
import type { Projection, ProjectionContext } from './projection.js';
import { RowBatch } from './row-batch.js';
import type { RowOperation } from './row-operation.js';
import type { Counter, RowTable } from './row-table.js';

/** A hand-written step of a declarative projection (`custom` in the YAML): it writes through `context.db`. */
export type CustomStep<Db> = (context: ProjectionContext<Db>) => Promise<void>;

export interface DeclarativeProjectionOptions<Tables, T extends keyof Tables & string> {
  readonly name: string;
  readonly eventTypes: readonly string[];
  /** The one table it writes. */
  readonly table: T;
  readonly primaryKey: readonly (keyof Tables[T] & string)[];
  /** The columns it increments or decrements: their type and default. */
  readonly counters?: { readonly [C in keyof Tables[T] & string]?: Counter };
  /**
   * Merge the operations of a batch by key (default true). Turn it off for a table with unique
   * indexes besides the primary key: merged writes on different keys are not made in event order.
   */
  readonly mergeBatches?: boolean;
  /** What an event does: a row operation, a custom step, or nothing. */
  operation(event: DomainEvent): RowOperation<Tables[T]> | CustomStep<Kysely<Tables>> | undefined;
}

/**
 * A projection of row operations, as the generator emits from YAML. `handle` runs an event's
 * operation on its own; `handleBatch` merges the operations of a batch on the same primary key
 * (see {@link RowBatch}) and writes them with few statements, with the same rows as calling
 * `handle` for each event. Operations it cannot merge, and custom steps, run in order after what
 * is pending was written.
 *
 * @example
 * ```ts
 * const stockLevel = declarativeProjection<StockLevelTables, 'stock_levels'>({
 *   name: 'StockLevel',
 *   eventTypes: ['StockReceived'],
 *   table: 'stock_levels',
 *   primaryKey: ['sku'],
 *   counters: { on_hand: { type: 'integer', default: 0 } },
 *   operation: (event) =>
 *     event instanceof StockReceived ? { upsert: { sku: event.aggregateId, on_hand: increment(event.data.quantity) } } : undefined,
 * });
 * ```
 */
export function declarativeProjection<Tables, T extends keyof Tables & string>(
  options: DeclarativeProjectionOptions<Tables, T>,
): Projection<Kysely<Tables>> {
  const table: RowTable = {
    name: options.table,
    projection: options.name,
    primaryKey: options.primaryKey,
    counters: (options.counters ?? {}) as Record<string, Counter>,
  };
  const merge = options.mergeBatches ?? true;
  const projection: Projection<Kysely<Tables>> = {
    name: options.name,
    eventTypes: options.eventTypes,
    tables: [options.table],
    async handle({ event }, context) {
      const step = options.operation(event);
      if (typeof step === 'function') await step(context);
      else if (step) await applyRowOperation(context.db, table, step as RowOperation<any>);
    },
  };
  if (!merge) return projection;
  return {
    ...projection,
    async handleBatch(batch, context) {
      const db = context.db as Kysely<any>;
      const rows = new RowBatch(table);
      for (const { event } of batch) {
        const step = options.operation(event);
        if (!step) continue;
        if (typeof step === 'function') {
          await rows.flush(db);
          await step(context);
          continue;
        }
        const op = step as RowOperation<any>;
        let added = rows.add(op);
        if (added === 'flush-first') {
          await rows.flush(db);
          added = rows.add(op);
        }
        if (added !== 'merged') {
          await rows.flush(db);
          await applyRowOperation(db, table, op);
        }
      }
      await rows.flush(db);
    },
  };
}
