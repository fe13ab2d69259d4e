import type { ExpressionBuilder, Kysely } from 'kysely';
import { insertError } from './insert-error.js';
import { Increment, type RowOperation, type RowKey, type RowValues } from './row-operation.js';
import { addExpression, type RowTable } from './row-table.js';

/**
 * Runs one row operation on its own, with the statements a hand-written handler would use:
 * the reference the batched path ({@link RowBatch}) must give the same rows as.
 */
export async function applyRowOperation(db: Kysely<any>, table: RowTable, op: RowOperation<any>): Promise<void> {
  const t = table.name;
  if ('insert' in op) {
    const row = insertValues(op.insert);
    try {
      await db.insertInto(t).values(row).execute();
    } catch (error) {
      throw insertError(error, table, [row]);
    }
  } else if ('update' in op) {
    await whereKey(
      db.updateTable(t).set((eb) => setValues(eb, table, op.update.set)),
      op.update.where,
    ).execute();
  } else if ('delete' in op) {
    await whereKey(db.deleteFrom(t), op.delete.where).execute();
  } else {
    // Select, then update or insert: the same statements on every dialect.
    const key = Object.fromEntries(table.primaryKey.map((c) => [c, op.upsert[c]])) as RowKey<any>;
    const existing = await whereKey(db.selectFrom(t).select(table.primaryKey[0]!), key).executeTakeFirst();
    const others = Object.fromEntries(Object.entries(op.upsert).filter(([c]) => !table.primaryKey.includes(c)));
    if (!existing) await db.insertInto(t).values(insertValues(op.upsert)).execute();
    else if (Object.keys(others).length > 0)
      await whereKey(
        db.updateTable(t).set((eb) => setValues(eb, table, others)),
        key,
      ).execute();
  }
}

/** Values as inserted: an increment inserts its amount. */
export function insertValues(values: RowValues<any>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(values)) row[column] = value instanceof Increment ? value.amount : value;
  return row;
}

function setValues(eb: ExpressionBuilder<any, any>, table: RowTable, values: RowValues<any>): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(values)) {
    set[column] =
      value instanceof Increment ? addExpression(eb, table.counters[column], eb.ref(column), value.amount) : value;
  }
  return set;
}

interface Filterable<Q> {
  where(column: string, op: '=' | 'is', value: unknown): Q;
}

/** ANDs `column = value` (`is null` for a null) for each column of the key. */
export function whereKey<Q extends Filterable<Q>>(query: Q, key: RowKey<any>): Q {
  let q = query;
  for (const [column, value] of Object.entries(key)) q = q.where(column, value === null ? 'is' : '=', value);
  return q;
}
