import type { Expression, ExpressionBuilder } from 'kysely';
import { decimal } from '../events/decimal.js';
import type { Amount } from './row-operation.js';

/** What {@link RowOperation}s need to know about the table they write. */
export interface RowTable {
  readonly name: string;
  /** The projection that writes it, named in errors. */
  readonly projection?: string;
  readonly primaryKey: readonly string[];
  /** The columns that are incremented or decremented: how their amounts add up, and their default. */
  readonly counters: Readonly<Record<string, Counter>>;
}

/** An incremented column: its YAML type, and its SQL default (`null` or absent: none). */
export interface Counter {
  readonly type: 'integer' | 'bigint' | 'number' | 'decimal';
  readonly default?: Amount | null;
}

/** The SQL type of `decimal` columns, as the generated migrations create them. */
const DECIMAL = 'decimal(38, 10)';
const SCALE = 10;

/**
 * `base + amount` computed in JavaScript with the result the database would store, or
 * `undefined` when that cannot be done exactly (the caller then lets SQL add).
 * Decimals add exactly; integers add exactly (as a string past 2^53).
 */
export function addAmounts(counter: Counter, base: unknown, amount: Amount): Amount | null | undefined {
  if (base === null) return null; // NULL + x is NULL
  if (typeof base !== 'number' && typeof base !== 'string') return undefined;
  switch (counter.type) {
    case 'decimal':
      try {
        // Rounded to the column's scale first, as the database casts each value it adds.
        return decimal.add(decimal.toFixed(String(base), SCALE), decimal.toFixed(String(amount), SCALE));
      } catch {
        return undefined;
      }
    case 'integer':
    case 'bigint': {
      if (typeof base === 'number' && typeof amount === 'number') {
        const sum = base + amount;
        if (Number.isSafeInteger(base) && Number.isSafeInteger(amount) && Number.isSafeInteger(sum)) return sum;
      }
      try {
        return (BigInt(base) + BigInt(amount)).toString();
      } catch {
        return undefined; // not integers
      }
    }
    case 'number':
      // Each addition rounds like the database's double precision, in the same order.
      return typeof base === 'number' && typeof amount === 'number' ? base + amount : undefined;
  }
}

/** `column + amount` in SQL (rounded to the column's scale for decimals, so SQLite's doubles stay clean). */
export function addExpression(
  eb: ExpressionBuilder<any, any>,
  counter: Counter | undefined,
  column: Expression<any>,
  amount: Amount | Expression<any>,
): Expression<any> {
  const value = typeof amount === 'object' ? amount : eb.val(amount);
  if (counter?.type !== 'decimal') return eb(column, '+', value);
  const cast = typeof amount === 'object' ? amount : eb.cast(value, DECIMAL);
  return eb.fn('round', [eb(column, '+', cast), eb.lit(SCALE)]);
}
