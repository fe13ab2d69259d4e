import {
  MysqlAdapter,
  type Compilable,
  type CompiledQuery,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
} from 'kysely';
import { decimal } from '../events/decimal.js';
import { whereKey } from './apply-row-operation.js';
import { insertError } from './insert-error.js';
import { counterOf, type Patch, type PatchEntry, type PendingRow } from './pending-row.js';
import type { Amount, RowKey } from './row-operation.js';
import { addAmounts, addExpression, type Counter, type RowTable } from './row-table.js';

/**
 * Writes the pending rows of a {@link RowBatch} to `table`: deletes first (a replaced row is
 * deleted, then inserted again), then one update per key of a row that existed, then multi-row
 * inserts and upserts.
 */
export async function flushPendingRows(db: Kysely<any>, table: RowTable, pending: Iterable<PendingRow>): Promise<void> {
  const deletes: PendingRow[] = [];
  const updates: PendingRow[] = [];
  const inserts: PendingRow[] = [];
  const upserts: PendingRow[] = [];
  for (const p of pending) {
    if (p.existed === 'replaced') {
      deletes.push(p);
      if (p.row) inserts.push(p);
    } else if (p.existed === 'conflict') inserts.push(p);
    else if (p.row) upserts.push(p);
    else if (p.existed.size > 0) updates.push(p);
  }
  // Deletes come first: a replaced row is deleted, then inserted again.
  await deleteRows(db, table, deletes);
  for (const p of updates) await updateRow(db, table, p);
  await insertRows(db, table, inserts);
  await upsertRows(db, table, upserts);
}

async function deleteRows(db: Kysely<any>, table: RowTable, rows: readonly PendingRow[]): Promise<void> {
  const { name, primaryKey } = table;
  if (primaryKey.length === 1) {
    for (const chunk of chunks(rows, 1000)) {
      await db
        .deleteFrom(name)
        .where(
          primaryKey[0]!,
          'in',
          chunk.map((p) => p.key[0]),
        )
        .execute();
    }
    return;
  }
  for (const p of rows) await whereKey(db.deleteFrom(name), whereOf(table, p)).execute();
}

async function updateRow(db: Kysely<any>, table: RowTable, p: PendingRow): Promise<void> {
  const patch = p.existed as Patch;
  await whereKey(
    db.updateTable(table.name).set((eb) => patchValues(table, eb, patch, (c) => eb.ref(c))),
    whereOf(table, p),
  ).execute();
}

async function insertRows(db: Kysely<any>, table: RowTable, rows: readonly PendingRow[]): Promise<void> {
  for (const [, group] of groupBy(rows, (p) => Object.keys(p.row!).sort().join(','))) {
    const shape = `i|${Object.keys(group[0]!.row!).sort().join(',')}`;
    for (const chunk of chunks(group, rowsPerStatement(group[0]!.row!))) {
      try {
        await execute(db, table, shape, chunk, (values) => db.insertInto(table.name).values(values));
      } catch (error) {
        throw insertError(
          error,
          table,
          chunk.map((p) => p.row!),
        );
      }
    }
  }
}

/**
 * Rows that may or may not exist. Where the inserted row carries exactly the values the
 * update needs (`col = new`, or `col = col + new`), one statement upserts many keys; otherwise
 * each key gets its own.
 */
async function upsertRows(db: Kysely<any>, table: RowTable, rows: readonly PendingRow[]): Promise<void> {
  const shared: PendingRow[] = [];
  for (const p of rows) {
    if (fromInserted(table, p)) shared.push(p);
    else await upsertOne(db, table, p);
  }
  const mysql = db.getExecutor().adapter instanceof MysqlAdapter;
  const t = table.name;
  for (const [shape, group] of groupBy(shared, upsertShape())) {
    const patch = group[0]!.existed as Patch;
    const inserted = (eb: ExpressionBuilder<any, any>, column: string) =>
      mysql ? eb.fn('values', [eb.ref(column)]) : eb.ref(`excluded.${column}`);
    const update = (eb: ExpressionBuilder<any, any>) => {
      const set: Record<string, unknown> = {};
      for (const [column, entry] of patch) {
        set[column] =
          'set' in entry
            ? inserted(eb, column)
            : addExpression(eb, table.counters[column], eb.ref(`${t}.${column}`), inserted(eb, column));
      }
      return nonEmpty(table, eb, set);
    };
    for (const chunk of chunks(group, rowsPerStatement(group[0]!.row!))) {
      await execute(db, table, shape, chunk, (values) => {
        const insert = db.insertInto(t).values(values);
        return mysql
          ? insert.onDuplicateKeyUpdate(update)
          : insert.onConflict((oc) => oc.columns(table.primaryKey as string[]).doUpdateSet(update));
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
async function execute(
  db: Kysely<any>,
  table: RowTable,
  shape: string,
  chunk: readonly PendingRow[],
  build: (rows: Record<string, unknown>[]) => Compilable<unknown>,
): Promise<void> {
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
  const statements = statementsFor(table, executor.adapter);
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

async function upsertOne(db: Kysely<any>, table: RowTable, p: PendingRow): Promise<void> {
  const t = table.name;
  const patch = p.existed as Patch;
  const update = (eb: ExpressionBuilder<any, any>) =>
    nonEmpty(
      table,
      eb,
      patchValues(table, eb, patch, (c) => eb.ref(`${t}.${c}`)),
    );
  const insert = db.insertInto(t).values(p.row!);
  if (db.getExecutor().adapter instanceof MysqlAdapter) await insert.onDuplicateKeyUpdate(update).execute();
  else await insert.onConflict((oc) => oc.columns(table.primaryKey as string[]).doUpdateSet(update)).execute();
}

/** True when each update of the patch can read its value from the inserted row. */
function fromInserted(table: RowTable, p: PendingRow): boolean {
  const row = p.row!;
  for (const [column, entry] of p.existed as Patch) {
    if (!(column in row)) return false;
    const value = 'set' in entry ? entry.set : sumOf(counterOf(table, column), entry.add);
    if (value === undefined || !sameValue(counterOf(table, column), row[column], value, 'add' in entry)) return false;
  }
  return true;
}

function patchValues(
  table: RowTable,
  eb: ExpressionBuilder<any, any>,
  patch: Patch,
  ref: (column: string) => Expression<any>,
): Record<string, unknown> {
  const set: Record<string, unknown> = {};
  for (const [column, entry] of patch) {
    if ('set' in entry) {
      set[column] = entry.set;
      continue;
    }
    const counter = table.counters[column];
    const sum = sumOf(counterOf(table, column), entry.add);
    if (sum !== undefined) set[column] = addExpression(eb, counter, ref(column), sum);
    else
      set[column] = entry.add.reduce<Expression<any>>(
        (expr, amount) => addExpression(eb, counter, expr, amount),
        ref(column),
      );
  }
  return set;
}

/** An upsert that updates nothing still needs one assignment: the key to itself. */
function nonEmpty(
  table: RowTable,
  eb: ExpressionBuilder<any, any>,
  set: Record<string, unknown>,
): Record<string, unknown> {
  if (Object.keys(set).length > 0) return set;
  const column = table.primaryKey[0]!;
  return { [column]: eb.ref(`${table.name}.${column}`) };
}

function whereOf(table: RowTable, p: PendingRow): RowKey<any> {
  return Object.fromEntries(table.primaryKey.map((c, i) => [c, p.key[i]]));
}

/** The amounts added up exactly, or undefined where SQL must add them one by one (floating point). */
function sumOf(counter: Counter, amounts: readonly Amount[]): Amount | undefined {
  let sum: Amount | null | undefined = amounts[0];
  if (amounts.length > 1 && counter.type === 'number') return undefined; // float addition is not associative
  for (let i = 1; i < amounts.length && sum !== undefined && sum !== null; i++)
    sum = addAmounts(counter, sum, amounts[i]!);
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

/**
 * The shape of an upsert row (its columns, and its patch's columns with how each changes), as a
 * key to group rows that share one statement. Rows of a batch mostly come from the same operation
 * with their columns in the same order: one that looks like the row before reuses its key rather
 * than building it again.
 */
function upsertShape(): (p: PendingRow) => string {
  let columns: string[] = [];
  let patch: Patch = new Map();
  let shape = '';
  return (p) => {
    const rowColumns = Object.keys(p.row!);
    const rowPatch = p.existed as Patch;
    if (shape !== '' && sameColumns(columns, rowColumns) && samePatchShape(patch, rowPatch)) return shape;
    columns = rowColumns;
    patch = rowPatch;
    shape = `u|${[...rowColumns].sort().join(',')}|${[...rowPatch].map(([c, e]) => `${c}:${'set' in e ? 's' : 'a'}`).join(',')}`;
    return shape;
  };
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The same columns in the same order, each set or added to alike. */
function samePatchShape(a: Patch, b: Patch): boolean {
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [column, entry] of a) {
    const next = other.next().value as [string, PatchEntry];
    if (next[0] !== column || 'set' in next[1] !== 'set' in entry) return false;
  }
  return true;
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
