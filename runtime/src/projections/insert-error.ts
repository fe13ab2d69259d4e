import { uniqueViolation } from '../store/sql/unique-violation.js';
import { ProjectionRowExistsError, type RowKeyValues } from './projection-errors.js';
import type { RowTable } from './row-table.js';

/**
 * The error to throw for a failed insert of `rows` into `table`: a {@link ProjectionRowExistsError}
 * for a unique or primary-key violation (the driver's error as its cause), else `error` itself.
 * Of several rows, the one the database names, where it names one that matches a single row.
 */
export function insertError(error: unknown, table: RowTable, rows: readonly Record<string, unknown>[]): unknown {
  const violation = uniqueViolation(error);
  if (!violation) return error;
  const keys = rows.map((row) => keyOf(table, row));
  // PostgreSQL names the columns in its detail (or, without one, a constraint named `<table>_pkey`, as generated).
  const primaryKey =
    violation.primaryKey ??
    (violation.columns !== undefined
      ? sameColumns(violation.columns, table.primaryKey)
      : violation.constraint?.endsWith('_pkey') !== false);
  let key = keys.length === 1 ? keys[0] : undefined;
  if (key === undefined && primaryKey && violation.values !== undefined) {
    // PostgreSQL prints the key's values joined with ', ', MySQL with '-' (comparing as its collations do).
    const mysql = violation.dialect === 'mysql';
    const printed = (k: RowKeyValues) =>
      mysql ? Object.values(k).map(String).join('-').toLowerCase().trimEnd() : Object.values(k).map(String).join(', ');
    const named = mysql ? violation.values.toLowerCase().trimEnd() : violation.values;
    const matching = keys.filter((k) => printed(k) === named);
    if (matching.length === 1) key = matching[0];
  }
  return new ProjectionRowExistsError(
    table.projection,
    table.name,
    key,
    key === undefined ? keys : [],
    primaryKey ? undefined : violation.constraint,
    { primaryKey, cause: error },
  );
}

function keyOf(table: RowTable, row: Record<string, unknown>): RowKeyValues {
  return Object.fromEntries(table.primaryKey.map((column) => [column, row[column]]));
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column) => b.includes(column));
}
