import { describe, expect, it } from 'vitest';
import { insertError } from './insert-error.js';
import { ProjectionRowExistsError } from './projection-errors.js';
import type { RowTable } from './row-table.js';

/** Errors shaped as each driver throws them (copied from better-sqlite3, pg and mysql2 on MariaDB). */
const sqlite = (code: string, columns: string) =>
  Object.assign(new Error(`UNIQUE constraint failed: ${columns}`), { code });
const postgres = (constraint: string, detail: string | undefined) =>
  Object.assign(new Error(`duplicate key value violates unique constraint "${constraint}"`), {
    name: 'error',
    code: '23505',
    constraint,
    detail,
  });
const mysql = (entry: string, key: string) =>
  Object.assign(new Error(`Duplicate entry '${entry}' for key '${key}'`), { code: 'ER_DUP_ENTRY', errno: 1062 });

const table: RowTable = { name: 'daily', projection: 'Revenue', primaryKey: ['day', 'currency'], counters: {} };
const rows = [
  { day: '2026-01-01', currency: 'EUR', total: 1 },
  { day: '2026-01-01', currency: 'USD', total: 2 },
];

describe('insertError', () => {
  it('leaves any error but a unique violation as it is', () => {
    const other = Object.assign(new Error('no such table'), { code: 'SQLITE_ERROR' });
    expect(insertError(other, table, rows)).toBe(other);
  });

  it('names the row the database names in a multi-row insert (PostgreSQL, MySQL), with the upsert fix', () => {
    for (const error of [
      postgres('daily_pkey', 'Key (day, currency)=(2026-01-01, USD) already exists.'),
      mysql('2026-01-01-usd', 'daily.PRIMARY'),
    ]) {
      const translated = insertError(error, table, rows) as ProjectionRowExistsError;
      expect(translated).toBeInstanceOf(ProjectionRowExistsError);
      expect(translated).toMatchObject({
        key: { day: '2026-01-01', currency: 'USD' },
        candidates: [],
        index: undefined,
      });
      expect(translated.cause).toBe(error);
      expect(translated.message).toContain(
        'Projection "Revenue" cannot insert into table "daily": a row with key day = "2026-01-01", currency = "USD" already exists.',
      );
      expect(translated.message).toContain('use `upsert` instead of `insert`');
    }
  });

  it('names every inserted key when the database names none (SQLite, or a PostgreSQL error without detail)', () => {
    for (const error of [
      sqlite('SQLITE_CONSTRAINT_PRIMARYKEY', 'daily.day, daily.currency'),
      postgres('daily_pkey', undefined),
    ]) {
      const translated = insertError(error, table, rows) as ProjectionRowExistsError;
      expect(translated.key).toBeUndefined();
      expect(translated.candidates).toEqual(rows.map(({ day, currency }) => ({ day, currency })));
      expect(translated.message).toContain(
        'a row with one of the keys it inserted in one statement (day = "2026-01-01", currency = "EUR"; day = "2026-01-01", currency = "USD") already exists',
      );
    }
  });

  it('tells a unique index other than the primary key apart, without the upsert fix', () => {
    for (const error of [
      sqlite('SQLITE_CONSTRAINT_UNIQUE', 'daily.ref'),
      postgres('daily_ref_uniq', 'Key (ref)=(r-1) already exists.'),
      mysql('r-1', 'daily_ref_uniq'),
    ]) {
      const translated = insertError(error, table, rows.slice(0, 1)) as ProjectionRowExistsError;
      expect(translated).toMatchObject({ key: { day: '2026-01-01', currency: 'EUR' } });
      expect(translated.message).toContain(
        'cannot insert the row with key day = "2026-01-01", currency = "EUR" into table "daily": another row already has the same values in its unique index',
      );
      expect(translated.message).not.toContain('upsert');
    }
    const named = insertError(postgres('daily_ref_uniq', 'Key (ref)=(r-1) already exists.'), table, rows);
    expect((named as ProjectionRowExistsError).index).toBe('daily_ref_uniq');
  });
});
