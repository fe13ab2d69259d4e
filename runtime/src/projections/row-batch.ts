import type { Kysely } from 'kysely';
import { insertValues } from './apply-row-operation.js';
import { flushPendingRows } from './flush-pending-rows.js';
import { counterOf, type PatchEntry, type PendingRow } from './pending-row.js';
import { Increment, type Amount, type RowKey, type RowOperation, type RowValues } from './row-operation.js';
import { addAmounts, type Counter, type RowTable } from './row-table.js';

/**
 * Merges the row operations of a batch by primary key, in order, and writes each key once:
 * increments add up, a later `set` wins, an update after an insert folds into the insert, a
 * delete resets the key. Its flush writes few statements (multi-row inserts and upserts, one
 * update per key) with the same resulting rows as running each operation on its own.
 *
 * Every merged operation addresses exactly one row by its full primary key, so operations on
 * different keys commute and the flush may order them freely. `add` refuses what it cannot merge
 * exactly; the caller then flushes and retries, or runs the operation on its own.
 *
 * @example
 * ```ts
 * const rows = new RowBatch(table);
 * for (const op of operations) {
 *   if (rows.add(op) === 'merged') continue;
 *   await rows.flush(db);
 *   if (rows.add(op) !== 'merged') await applyRowOperation(db, table, op);
 * }
 * await rows.flush(db);
 * ```
 */
export class RowBatch {
  readonly #table: RowTable;
  readonly #pending = new Map<string, PendingRow>();
  /** Scratch space of {@link #merge}, written from the start by each call (it runs once per event). */
  readonly #changes: unknown[] = [];

  constructor(table: RowTable) {
    this.#table = table;
  }

  get size(): number {
    return this.#pending.size;
  }

  /**
   * `merged`; `flush-first` when it must follow what is pending in the database (try again after
   * a flush); `alone` when it can never be merged (a `where` that is not one full primary key).
   */
  add(op: RowOperation<any>): 'merged' | 'flush-first' | 'alone' {
    const values = 'insert' in op ? op.insert : 'upsert' in op ? op.upsert : undefined;
    const where = 'update' in op ? op.update.where : 'delete' in op ? op.delete.where : undefined;
    const columns = values ?? where ?? {};
    const { primaryKey } = this.#table;
    // A one-column key is looked up by its value: no key array for a row already pending (most events of a catch-up).
    if (primaryKey.length === 1 && values !== undefined) {
      const value = (columns as Record<string, unknown>)[primaryKey[0]!];
      if (value === null || value === undefined || value instanceof Increment) return 'alone';
      const normal = normalPart(value);
      const current = this.#pending.get(normal);
      if (current) {
        if (!sameValue(current.key[0], value)) return 'flush-first'; // maybe the same row, spelled differently
        return this.#merge(current, op) ? 'merged' : 'flush-first';
      }
      return this.#addFresh(normal, [value], op);
    }
    const key = this.#key(columns, values === undefined);
    if (key === undefined) return 'alone';
    const normal = normalKey(key);
    const current = this.#pending.get(normal);
    if (current) {
      if (!sameKey(current.key, key)) return 'flush-first'; // maybe the same row, spelled differently
      return this.#merge(current, op) ? 'merged' : 'flush-first';
    }
    return this.#addFresh(normal, key, op);
  }

  /** Writes what is pending and empties the batch. */
  async flush(db: Kysely<any>): Promise<void> {
    if (this.#pending.size === 0) return;
    const rows = [...this.#pending.values()];
    this.#pending.clear();
    await flushPendingRows(db, this.#table, rows);
  }

  // ---------------------------------------------------------------------------------------------

  #addFresh(normal: string, key: unknown[], op: RowOperation<any>): 'merged' | 'flush-first' {
    const fresh: PendingRow = { key, existed: new Map(), row: undefined };
    if (!this.#merge(fresh, op)) return 'flush-first';
    this.#pending.set(normal, fresh);
    return 'merged';
  }

  /** The full primary key of the row `columns` address, or undefined when they don't address exactly one. */
  #key(columns: RowKey<any> | RowValues<any>, exactlyTheKey: boolean): unknown[] | undefined {
    const { primaryKey } = this.#table;
    if (exactlyTheKey && Object.keys(columns).length !== primaryKey.length) return undefined;
    const key: unknown[] = [];
    for (const column of primaryKey) {
      const value = (columns as Record<string, unknown>)[column];
      if (value === null || value === undefined || value instanceof Increment) return undefined;
      key.push(value);
    }
    return key;
  }

  /**
   * Applies `op` to `p` in place; false (with `p` unchanged) when the result cannot be
   * represented (flush first). It runs once per event, so it computes every change before
   * making any rather than copying the pending state.
   */
  #merge(p: PendingRow, op: RowOperation<any>): boolean {
    if ('insert' in op) {
      // An insert fails on an existing row: the flush inserts without ON CONFLICT, so it fails too.
      if (p.row) return false;
      p.existed = p.existed === 'replaced' ? 'replaced' : 'conflict';
      p.row = insertValues(op.insert);
      return true;
    }
    if ('delete' in op) {
      if (p.existed === 'conflict') return false; // it must still fail if the row existed
      p.existed = 'replaced';
      p.row = undefined;
      return true;
    }
    // An upsert's key columns address the row; the rest is what it sets on an existing one.
    const set = 'update' in op ? op.update.set : op.upsert;
    const skip = 'update' in op ? undefined : this.#table.primaryKey;
    const patch = p.existed instanceof Map ? (p.existed as Map<string, PatchEntry>) : undefined;
    const row = p.row;
    if (!patch && !row) {
      if ('upsert' in op) p.row = insertValues(op.upsert);
      return true;
    }
    // One pass computes, for each column, the patch entry and the folded value (column, entry, value,
    // sum, …); nothing changes until every column is known to merge. An amount that adds up exactly
    // with the one already pending is written into that entry's list (`sum`), which this row alone
    // holds, rather than into a new entry and list: the catch-up case, each event of a key adding to
    // the same counters.
    const changes = this.#changes;
    let n = 0;
    for (const column of Object.keys(set)) {
      if (skip !== undefined && skip.includes(column)) continue;
      const value = (set as Record<string, unknown>)[column];
      if (!(value instanceof Increment)) {
        changes[n++] = column;
        changes[n++] = patch ? { set: value } : undefined;
        changes[n++] = value;
        changes[n++] = NO_SUM;
        continue;
      }
      const counter = this.#counter(column);
      let entry: PatchEntry | undefined;
      let sum: unknown = NO_SUM;
      if (patch) {
        const before = patch.get(column);
        if (!before) entry = { add: [value.amount] };
        else if ('add' in before) {
          sum = this.#sumInPlace(counter, before.add, value.amount);
          entry = sum === NO_SUM ? { add: [...before.add, value.amount] } : before;
        } else {
          const added = addAmounts(counter, before.set, value.amount);
          if (added === undefined) return false;
          entry = { set: added };
        }
      }
      let folded: unknown;
      if (row) {
        folded = addAmounts(counter, column in row ? row[column] : (counter.default ?? null), value.amount);
        if (folded === undefined) return false;
      }
      changes[n++] = column;
      changes[n++] = entry;
      changes[n++] = folded;
      changes[n++] = sum;
    }
    for (let i = 0; i < n; i += 4) {
      const column = changes[i] as string;
      if (patch) {
        const entry = changes[i + 1] as PatchEntry;
        const sum = changes[i + 3];
        if (sum === NO_SUM) patch.set(column, entry);
        else (entry as { add: Amount[] }).add[0] = sum as Amount;
      }
      if (row) row[column] = changes[i + 2];
    }
    if (!row && 'upsert' in op) p.row = insertValues(op.upsert);
    return true;
  }

  /**
   * The sum that replaces the one amount of `amounts`, where it is exact; else {@link NO_SUM} and
   * the amount is appended (long lists would be copied on every event).
   */
  #sumInPlace(counter: Counter, amounts: readonly Amount[], amount: Amount): unknown {
    if (counter.type === 'number' || amounts.length !== 1) return NO_SUM;
    const sum = addAmounts(counter, amounts[0], amount);
    return sum === undefined || sum === null ? NO_SUM : sum;
  }

  #counter(column: string): Counter {
    return counterOf(this.#table, column);
  }
}

/** No sum computed for a column of {@link RowBatch}'s merge (undefined and null are amounts' results). */
const NO_SUM = Symbol('no sum');

/**
 * Keys that a database may treat as equal (MySQL compares strings case-insensitively and
 * ignores trailing spaces) share a normal form, so they are never merged apart.
 */
function normalKey(key: readonly unknown[]): string {
  if (key.length === 1) return normalPart(key[0]);
  return key.map(normalPart).join('\u0000');
}

function normalPart(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase().trimEnd() : String(value);
}

/** Keys spelled the same (as their JSON), so one pending row may take both. */
function sameKey(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
  return true;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
