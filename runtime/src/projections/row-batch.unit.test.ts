import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RowBatch } from './row-batch.js';
import { increment } from './row-operation.js';
import type { RowTable } from './row-table.js';

const table: RowTable = {
  name: 'counts',
  primaryKey: ['id'],
  counters: { n: { type: 'integer', default: 0 }, m: { type: 'integer', default: 0 } },
};

describe('RowBatch', () => {
  let db: Kysely<any>;
  beforeEach(async () => {
    db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    await db.schema
      .createTable('counts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('n', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('m', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  });
  afterEach(async () => db.destroy());

  const counts = () => db.selectFrom('counts').selectAll().orderBy('id').execute();

  it('adds the increments of one key up, in the pending row and its patch, over many operations', async () => {
    await db.insertInto('counts').values({ id: 'b', n: 10, m: 20 }).execute();
    const rows = new RowBatch(table);
    for (let i = 1; i <= 100; i++) {
      for (const id of ['a', 'b'])
        expect(rows.add({ upsert: { id, n: increment(i), m: increment(1) } })).toBe('merged');
    }
    await rows.flush(db);
    expect(await counts()).toEqual([
      { id: 'a', n: 5050, m: 100 },
      { id: 'b', n: 5060, m: 120 },
    ]);
  });

  it('changes nothing of a pending row when a later column of the operation cannot merge', async () => {
    // The row exists: the flush writes the pending patch (on a new row it would insert the row as folded).
    await db.insertInto('counts').values({ id: 'a', n: 10, m: 20 }).execute();
    const rows = new RowBatch(table);
    expect(rows.add({ upsert: { id: 'a', n: increment(1), m: increment(1) } })).toBe('merged');
    // n adds up exactly; m (an integer column given a fraction) does not: the operation is refused whole.
    const op = { upsert: { id: 'a', n: increment(2), m: increment(0.5) } };
    expect(rows.add(op)).toBe('flush-first');
    await rows.flush(db);
    expect(await counts()).toEqual([{ id: 'a', n: 11, m: 21 }]);
  });
});
