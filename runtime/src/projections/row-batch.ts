import { MysqlAdapter, type Compilable, type CompiledQuery, type Expression, type ExpressionBuilder, type Kysely } from 'kysely';
import { decimal } from '../events/decimal.js';
import { insertValues, whereKey } from './apply-row-operation.js';
import { Increment, type Amount, type RowKey, type RowOperation, type RowValues } from './row-operation.js';
import { addAmounts, addExpression, type Counter, type RowTable } from './row-table.js';

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
    const key = this.#key(values ?? where ?? {}, values === undefined);
    if (key === undefined) return 'alone';
    const normal = normalKey(key);
    const current = this.#pending.get(normal);
    if (current) {
      if (!sameKey(current.key, key)) return 'flush-first'; // maybe the same row, spelled differently
      return this.#merge(current, op) ? 'merged' : 'flush-first';
    }
    const fresh: PendingRow = { key, existed: new Map(), row: undefined };
    if (!this.#merge(fresh, op)) return 'flush-first';
    this.#pending.set(normal, fresh);
    return 'merged';
  }

  /** Writes what is pending and empties the batch. */
  async flush(db: Kysely<any>): Promise<void> {
    if (this.#pending.size === 0) return;
    const deletes: PendingRow[] = [];
    const updates: PendingRow[] = [];
    const inserts: PendingRow[] = [];
    const upserts: PendingRow[] = [];
    for (const p of this.#pending.values()) {
      if (p.existed === 'replaced') {
        deletes.push(p);
        if (p.row) inserts.push(p);
      } else if (p.existed === 'conflict') inserts.push(p);
      else if (p.row) upserts.push(p);
      else if (p.existed.size > 0) updates.push(p);
    }
    this.#pending.clear();
    // Deletes come first: a replaced row is deleted, then inserted again.
    await this.#delete(db, deletes);
    for (const p of updates) await this.#update(db, p);
    await this.#insert(db, inserts);
    await this.#upsert(db, upserts);
  }

  // ---------------------------------------------------------------------------------------------

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
    const patch = p.existed instanceof Map ? this.#compose(p.existed, set, skip) : undefined;
    if (p.existed instanceof Map && !patch) return false;
    const folded = p.row ? this.#fold(p.row, set, skip) : undefined;
    if (p.row && !folded) return false;
    if (patch) for (let i = 0; i < patch.length; i += 2) (p.existed as Map<string, PatchEntry>).set(patch[i] as string, patch[i + 1] as PatchEntry);
    if (folded) for (let i = 0; i < folded.length; i += 2) p.row![folded[i] as string] = folded[i + 1];
    else if (!p.row && 'upsert' in op) p.row = insertValues(op.upsert);
    return true;
  }

  /** The changes (column, entry, …) to the patch of an existing row that `set` makes, or undefined. */
  #compose(patch: Patch, set: RowValues<any>, skip: readonly string[] | undefined): unknown[] | undefined {
    const changes: unknown[] = [];
    for (const column of Object.keys(set)) {
      if (skip?.includes(column)) continue;
      const value = (set as Record<string, unknown>)[column];
      if (!(value instanceof Increment)) {
        changes.push(column, { set: value });
        continue;
      }
      const before = patch.get(column);
      if (!before) changes.push(column, { add: [value.amount] });
      else if ('add' in before) changes.push(column, { add: this.#append(column, before.add, value.amount) });
      else {
        const sum = addAmounts(this.#counter(column), before.set, value.amount);
        if (sum === undefined) return undefined;
        changes.push(column, { set: sum });
      }
    }
    return changes;
  }

  /** Amounts to add: kept summed where the sum is exact (long lists would be copied on every event). */
  #append(column: string, amounts: readonly Amount[], amount: Amount): readonly Amount[] {
    const counter = this.#counter(column);
    if (counter.type !== 'number' && amounts.length === 1) {
      const sum = addAmounts(counter, amounts[0], amount);
      if (sum !== undefined && sum !== null) return [sum];
    }
    return [...amounts, amount];
  }

  /** The changes (column, value, …) that `set` makes to a row known in full (inserted in this batch), or undefined. */
  #fold(row: Record<string, unknown>, set: RowValues<any>, skip: readonly string[] | undefined): unknown[] | undefined {
    const changes: unknown[] = [];
    for (const column of Object.keys(set)) {
      if (skip?.includes(column)) continue;
      const value = (set as Record<string, unknown>)[column];
      if (!(value instanceof Increment)) {
        changes.push(column, value);
        continue;
      }
      const counter = this.#counter(column);
      const base = column in row ? row[column] : (counter.default ?? null);
      const sum = addAmounts(counter, base, value.amount);
      if (sum === undefined) return undefined;
      changes.push(column, sum);
    }
    return changes;
  }

  #counter(column: string): Counter {
    return this.#table.counters[column] ?? { type: 'number' };
  }

  async #delete(db: Kysely<any>, rows: readonly PendingRow[]): Promise<void> {
    const { name, primaryKey } = this.#table;
    if (primaryKey.length === 1) {
      for (const chunk of chunks(rows, 1000)) {
        await db.deleteFrom(name).where(primaryKey[0]!, 'in', chunk.map((p) => p.key[0])).execute();
      }
      return;
    }
    for (const p of rows) await whereKey(db.deleteFrom(name), this.#where(p)).execute();
  }

  async #update(db: Kysely<any>, p: PendingRow): Promise<void> {
    const patch = p.existed as Patch;
    await whereKey(db.updateTable(this.#table.name).set((eb) => this.#patchValues(eb, patch, (c) => eb.ref(c))), this.#where(p)).execute();
  }

  async #insert(db: Kysely<any>, rows: readonly PendingRow[]): Promise<void> {
    for (const [, group] of groupBy(rows, (p) => Object.keys(p.row!).sort().join(','))) {
      const shape = `i|${Object.keys(group[0]!.row!).sort().join(',')}`;
      for (const chunk of chunks(group, rowsPerStatement(group[0]!.row!))) {
        await this.#execute(db, shape, chunk, (values) => db.insertInto(this.#table.name).values(values));
      }
    }
  }

  /**
   * Rows that may or may not exist. Where the inserted row carries exactly the values the
   * update needs (`col = new`, or `col = col + new`), one statement upserts many keys; otherwise
   * each key gets its own.
   */
  async #upsert(db: Kysely<any>, rows: readonly PendingRow[]): Promise<void> {
    const shared: PendingRow[] = [];
    for (const p of rows) {
      if (this.#fromInserted(p)) shared.push(p);
      else await this.#upsertOne(db, p);
    }
    const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
    const t = this.#table.name;
    for (const [shape, group] of groupBy(shared, (p) => `u|${Object.keys(p.row!).sort().join(',')}|${[...(p.existed as Patch)].map(([c, e]) => `${c}:${'set' in e ? 's' : 'a'}`).join(',')}`)) {
      const patch = group[0]!.existed as Patch;
      const inserted = (eb: ExpressionBuilder<any, any>, column: string) => (mysql ? eb.fn('values', [eb.ref(column)]) : eb.ref(`excluded.${column}`));
      const update = (eb: ExpressionBuilder<any, any>) => {
        const set: Record<string, unknown> = {};
        for (const [column, entry] of patch) {
          set[column] = 'set' in entry ? inserted(eb, column) : addExpression(eb, this.#table.counters[column], eb.ref(`${t}.${column}`), inserted(eb, column));
        }
        return this.#nonEmpty(eb, set);
      };
      for (const chunk of chunks(group, rowsPerStatement(group[0]!.row!))) {
        await this.#execute(db, shape, chunk, (values) => {
          const insert = db.insertInto(t).values(values);
          return mysql ? insert.onDuplicateKeyUpdate(update) : insert.onConflict((oc) => oc.columns(this.#table.primaryKey as string[]).doUpdateSet(update));
        });
      }
    }
  }

  /**
   * Runs the statement `build` makes for the rows of `chunk` (all with the columns `shape`
   * names): compiled once per shape and row count, then run with the rows' values bound in the
   * order the compiled statement takes them. A database with plugins (a rebuild's table
   * renames) or a value that is not one parameter gets a freshly built statement every time.
   */
  async #execute(db: Kysely<any>, shape: string, chunk: readonly PendingRow[], build: (rows: Record<string, unknown>[]) => Compilable<unknown>): Promise<void> {
    const rows = chunk.map((p) => p.row!);
    const executor = db.getExecutor();
    const columns = Object.keys(rows[0]!).sort();
    const parameters: unknown[] = [];
    for (const row of rows) {
      for (const column of columns) {
        const value = row[column];
        if (!bindable(value)) return void (await db.executeQuery(build(rows)));
        parameters.push(value);
      }
    }
    if (executor.plugins.length > 0) return void (await db.executeQuery(build(rows)));
    const statements = statementsFor(this.#table, executor.adapter);
    const key = `${shape}|${rows.length}`;
    const compiled = statements.get(key);
    if (compiled) return void (await db.executeQuery({ ...compiled, parameters }));
    // Rows with their columns in one order, so the compiled statement binds them as `parameters` are.
    const ordered = rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
    const fresh = build(ordered).compile();
    if (sameParameters(fresh.parameters, parameters)) {
      if (statements.size >= STATEMENTS_PER_TABLE) statements.delete(statements.keys().next().value!);
      statements.set(key, fresh);
    }
    await db.executeQuery(fresh);
  }

  async #upsertOne(db: Kysely<any>, p: PendingRow): Promise<void> {
    const t = this.#table.name;
    const patch = p.existed as Patch;
    const update = (eb: ExpressionBuilder<any, any>) => this.#nonEmpty(eb, this.#patchValues(eb, patch, (c) => eb.ref(`${t}.${c}`)));
    const insert = db.insertInto(t).values(p.row!);
    if (db.getExecutor().adapter instanceof MysqlAdapter) await insert.onDuplicateKeyUpdate(update).execute();
    else await insert.onConflict((oc) => oc.columns(this.#table.primaryKey as string[]).doUpdateSet(update)).execute();
  }

  /** True when each update of the patch can read its value from the inserted row. */
  #fromInserted(p: PendingRow): boolean {
    const row = p.row!;
    for (const [column, entry] of p.existed as Patch) {
      if (!(column in row)) return false;
      const value = 'set' in entry ? entry.set : sumOf(this.#counter(column), entry.add);
      if (value === undefined || !sameValue(this.#counter(column), row[column], value, 'add' in entry)) return false;
    }
    return true;
  }

  #patchValues(eb: ExpressionBuilder<any, any>, patch: Patch, ref: (column: string) => Expression<any>): Record<string, unknown> {
    const set: Record<string, unknown> = {};
    for (const [column, entry] of patch) {
      if ('set' in entry) {
        set[column] = entry.set;
        continue;
      }
      const counter = this.#table.counters[column];
      const sum = sumOf(this.#counter(column), entry.add);
      if (sum !== undefined) set[column] = addExpression(eb, counter, ref(column), sum);
      else set[column] = entry.add.reduce<Expression<any>>((expr, amount) => addExpression(eb, counter, expr, amount), ref(column));
    }
    return set;
  }

  /** An upsert that updates nothing still needs one assignment: the key to itself. */
  #nonEmpty(eb: ExpressionBuilder<any, any>, set: Record<string, unknown>): Record<string, unknown> {
    if (Object.keys(set).length > 0) return set;
    const column = this.#table.primaryKey[0]!;
    return { [column]: eb.ref(`${this.#table.name}.${column}`) };
  }

  #where(p: PendingRow): RowKey<any> {
    return Object.fromEntries(this.#table.primaryKey.map((c, i) => [c, p.key[i]]));
  }
}

/** What happens to a column of a row that existed before the batch. */
type PatchEntry = { readonly set: unknown } | { readonly add: readonly Amount[] };
type Patch = ReadonlyMap<string, PatchEntry>;

/**
 * One key's pending writes, for both cases the batch cannot know without reading: the row
 * existed before it (`existed`), or it did not (`row`: the row as it will be, undefined if none).
 * `existed` is a patch of the existing row, `conflict` (an insert must fail on it), or
 * `replaced` (it was deleted: the result is `row` in both cases).
 */
interface PendingRow {
  readonly key: readonly unknown[];
  existed: Patch | 'conflict' | 'replaced';
  row: Record<string, unknown> | undefined;
}

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
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && JSON.stringify(a[i]) !== JSON.stringify(b[i])) return false;
  return true;
}

/** The amounts added up exactly, or undefined where SQL must add them one by one (floating point). */
function sumOf(counter: Counter, amounts: readonly Amount[]): Amount | undefined {
  let sum: Amount | null | undefined = amounts[0];
  if (amounts.length > 1 && counter.type === 'number') return undefined; // float addition is not associative
  for (let i = 1; i < amounts.length && sum !== undefined && sum !== null; i++) sum = addAmounts(counter, sum, amounts[i]!);
  return sum ?? undefined;
}

function sameValue(counter: Counter, a: unknown, b: unknown, numeric: boolean): boolean {
  if (a === b) return true;
  if (!numeric || a === null || b === null) return false;
  if (counter.type === 'decimal') {
    try {
      return decimal.compare(String(a), String(b)) === 0;
    } catch {
      return false;
    }
  }
  return String(a) === String(b);
}

/** Bound parameters stay well under every dialect's limit (SQLite's is the lowest, 32,766). */
function rowsPerStatement(row: Record<string, unknown>): number {
  return Math.max(1, Math.min(1000, Math.floor(10_000 / Math.max(1, Object.keys(row).length))));
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/**
 * Compiled multi-row statements by table, then by dialect adapter (one per Kysely instance and
 * its transactions), then by shape and row count. Each catch-up batch writes the same few
 * shapes, so building and compiling them once and binding new values saves most of the work.
 */
const compiledStatements = new WeakMap<RowTable, WeakMap<object, Map<string, CompiledQuery>>>();
const STATEMENTS_PER_TABLE = 64;

function statementsFor(table: RowTable, adapter: object): Map<string, CompiledQuery> {
  let byAdapter = compiledStatements.get(table);
  if (!byAdapter) compiledStatements.set(table, (byAdapter = new WeakMap()));
  let statements = byAdapter.get(adapter);
  if (!statements) byAdapter.set(adapter, (statements = new Map()));
  return statements;
}

/** A value Kysely binds as one parameter (not an expression, and present). */
function bindable(value: unknown): boolean {
  if (value === undefined || typeof value === 'function') return false;
  return value === null || typeof value !== 'object' || !('toOperationNode' in value);
}

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
