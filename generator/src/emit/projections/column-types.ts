import type { ColumnTypeName, JsonValue } from '@eventsmith/schema';

/**
 * How each YAML column type is stored. The types are chosen to work unchanged on SQLite,
 * PostgreSQL and MariaDB/MySQL, because one generated migration runs on all three:
 * - `string` is `varchar(255)` (MySQL cannot index or key `text`), `text` is `text`;
 * - `decimal` is `decimal(38, 10)` (exact on PostgreSQL and MySQL; NUMERIC affinity on SQLite);
 * - `datetime` and `date` are ISO-8601 strings (UTC, so they sort in time order);
 * - `boolean` is `boolean`, written as 1/0 (SQLite cannot bind JavaScript booleans);
 * - `json` is `text` holding JSON.
 */
export const SQL_TYPES: Record<ColumnTypeName, string> = {
  string: 'varchar(255)',
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  number: 'double precision',
  decimal: 'decimal(38, 10)',
  boolean: 'boolean',
  uuid: 'varchar(36)',
  datetime: 'varchar(32)',
  date: 'varchar(10)',
  json: 'text',
};

/** What a `select` returns for the column, across the three dialects. */
export const ROW_TYPES: Record<ColumnTypeName, string> = {
  string: 'string',
  text: 'string',
  integer: 'number',
  bigint: 'string | number',
  number: 'number',
  decimal: 'string | number',
  boolean: 'boolean | number',
  uuid: 'string',
  datetime: 'string',
  date: 'string',
  json: 'string',
};

/** A column value as stored: booleans as 1/0, JSON as text; everything else as given. */
export function storedLiteral(type: ColumnTypeName, value: JsonValue): JsonValue {
  if (value === null) return null;
  if (type === 'json') return JSON.stringify(value);
  if (type === 'boolean' && typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/**
 * The value existing rows get when a NOT NULL column without a default is added by a later
 * migration (SQLite refuses such a column otherwise). Rebuild the projection to fill real values.
 */
export function backfillValue(type: ColumnTypeName): JsonValue {
  switch (type) {
    case 'integer':
    case 'bigint':
    case 'number':
      return 0;
    case 'decimal':
      return '0';
    case 'boolean':
      return false;
    case 'datetime':
      return '1970-01-01T00:00:00.000Z';
    case 'date':
      return '1970-01-01';
    case 'json':
      return 'null';
    default:
      return '';
  }
}
