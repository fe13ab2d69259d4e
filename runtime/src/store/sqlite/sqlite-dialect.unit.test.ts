import { Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { BetterSqlite3 } from './sqlite-driver.js';
import { SqliteStoreDialect } from './sqlite-dialect.js';

describe('SqliteStoreDialect', () => {
  const database = new BetterSqlite3(':memory:');
  const db = new Kysely<{ t: { a: number } }>({ dialect: new SqliteStoreDialect({ database }) });
  afterEach(() => database.exec('drop table if exists t'));

  it('reads LIMIT and OFFSET parameters through a cast, so SQLite does not prepare a cached statement again on every run', async () => {
    database.exec('create table t (a integer primary key)');
    await db
      .insertInto('t')
      .values(Array.from({ length: 10 }, (_, a) => ({ a })))
      .execute();
    const page = (limit: number, offset: number) =>
      db.selectFrom('t').select('a').orderBy('a').limit(limit).offset(offset);

    expect(page(3, 2).compile().sql).toBe(
      'select "a" from "t" order by "a" limit cast(? as integer) offset cast(? as integer)',
    );
    // The same cached statement, bound with other values each time.
    expect((await page(3, 2).execute()).map((r) => r.a)).toEqual([2, 3, 4]);
    expect((await page(2, 7).execute()).map((r) => r.a)).toEqual([7, 8]);
    expect((await page(5, 9).execute()).map((r) => r.a)).toEqual([9]);
  });

  it('leaves a LIMIT that is already an expression as it is', () => {
    const query = db
      .selectFrom('t')
      .select('a')
      .limit(sql<number>`cast(${4} as integer)`);
    expect(query.compile().sql).toBe('select "a" from "t" limit cast(? as integer)');
  });
});
