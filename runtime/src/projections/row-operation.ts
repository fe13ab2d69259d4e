import type { InsertType, SelectType } from 'kysely';

/**
 * One write of a declarative projection handler, as data, mirroring the YAML: `insert` a row,
 * `upsert` it (conflict on the primary key), `update` the rows matching `where`, or `delete` them.
 * Generated projections return one per event; {@link declarativeProjection} runs it, one event at
 * a time or merged with the rest of a batch.
 *
 * @example
 * ```ts
 * const op: RowOperation<AccountSummaryTable> = {
 *   update: { where: { account_id: event.aggregateId }, set: { balance: increment(event.data.amount) } },
 * };
 * ```
 */
export type RowOperation<Table> =
  | { readonly insert: RowValues<Table> }
  | { readonly upsert: RowValues<Table> }
  | { readonly update: { readonly where: RowKey<Table>; readonly set: RowValues<Table> } }
  | { readonly delete: { readonly where: RowKey<Table> } };

/** Column values to write: a value, or an {@link Increment} (on insert, the row gets the amount). */
export type RowValues<Table> = { readonly [C in keyof Table]?: InsertType<Table[C]> | Increment };

/** Columns a row must equal (ANDed); `null` matches `is null`. */
export type RowKey<Table> = { readonly [C in keyof Table]?: SelectType<Table[C]> | null };

/** A numeric amount, or a decimal as a string (exact). */
export type Amount = number | string;

/** `column + amount`: the column's value plus an amount (minus, for a negative one). */
export class Increment {
  constructor(readonly amount: Amount) {}
}

/**
 * Adds `amount` to a column (`{ increment: … }` in the YAML).
 *
 * @example
 * ```ts
 * const op = { update: { where: { sku }, set: { on_hand: increment(5) } } };
 * ```
 */
export function increment(amount: Amount): Increment {
  return new Increment(amount);
}

/**
 * Subtracts `amount` from a column (`{ decrement: … }` in the YAML); on insert the row gets `-amount`.
 *
 * @example
 * ```ts
 * const op = { update: { where: { account_id: id }, set: { balance: decrement('10.50') } } };
 * ```
 */
export function decrement(amount: Amount): Increment {
  return new Increment(negate(amount));
}

function negate(amount: Amount): Amount {
  if (typeof amount === 'number') return -amount;
  return amount.startsWith('-') ? amount.slice(1) : `-${amount}`;
}
