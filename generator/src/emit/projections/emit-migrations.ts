import type { DomainModel } from '@eventsmith/schema';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { camelCase, literal, pascalCase, quote } from '../common/naming.js';
import { backfillValue, SQL_TYPES, storedLiteral } from './column-types.js';
import {
  diffTables,
  sameJson,
  serializeSnapshot,
  shapeOf,
  type ColumnShape,
  type IndexShape,
  type ProjectionSnapshot,
  type TableChange,
  type TableShape,
} from './table-shape.js';

const RUNTIME = '@eventsmith/runtime';

/**
 * Append-only Kysely migrations. Migrations listed in the previous snapshot are kept as they are
 * (`keep`); each table that changed since gets one new migration (`once`), numbered after the
 * last. The index and the snapshot are rewritten to list them all.
 */
export function emitMigrations(model: DomainModel, layout: Layout, previous: ProjectionSnapshot): GeneratedFile[] {
  const sources = model.sources.map((s) => s.path);
  const current = model.projections.map(shapeOf);
  const changes = diffTables(previous.tables, current);
  const files: GeneratedFile[] = previous.migrations.map((name) => GeneratedFile.keep(layout.migration(name)));
  const names = [...previous.migrations];
  let next = previous.migrations.reduce((max, name) => Math.max(max, Number.parseInt(name, 10) || 0), 0) + 1;
  for (const change of changes) {
    const name = `${String(next++).padStart(4, '0')}_${change.kind}_${tableOf(change).table}`;
    names.push(name);
    files.push(migrationFile(layout, name, change, projectionSources(model, change) ?? sources));
  }
  if (names.length === 0 && current.length === 0) return files;
  files.push(migrationsIndex(model.name, layout, names, sources));
  const snapshot = GeneratedFile.generated(layout.projectionSnapshot, sources);
  snapshot.print(serializeSnapshot({ migrations: names, tables: current }, snapshot.sources).trimEnd());
  files.push(snapshot);
  return files;
}

/** `m0001CreateAccountSummary`: the exported name of a migration. */
export function migrationExport(name: string): string {
  return camelCase(`m_${name}`);
}

function migrationsIndex(
  domain: string,
  layout: Layout,
  names: readonly string[],
  sources: readonly string[],
): GeneratedFile {
  const file = GeneratedFile.generated(layout.migrationsIndex, sources);
  const type = file.importType('ProjectionMigration', { file: layout.projectionDatabase });
  const entries = names.map(
    (name) => `  ${quote(name)}: ${file.import(migrationExport(name), { file: layout.migration(name) })},`,
  );
  file.print(
    `/**\n * Every projection migration, in order. Names sort in the order they must run. \`create${pascalCase(domain)}App\`\n * runs them (and \`eventsmith migrate\`); without the app:\n *\n * @example\n * \`\`\`ts\n * await migrateApp({ store, domains: [{ domain: ${quote(domain)}, projectionMigrations }] });\n * \`\`\`\n */\n` +
      `export const projectionMigrations: Readonly<Record<string, ${type}>> = {${entries.length ? `\n${entries.join('\n')}\n` : ''}};`,
  );
  return file;
}

function migrationFile(layout: Layout, name: string, change: TableChange, sources: readonly string[]): GeneratedFile {
  const file = GeneratedFile.once(layout.migration(name), sources);
  const type = file.importType('ProjectionMigration', { file: layout.projectionDatabase });
  const { up, down, note, lossy } = statements(file, change);
  const projection = tableOf(change).projection;
  if (lossy) {
    file.notice =
      `${lossy} After it runs on a database that has rows, the projection must be rebuilt: \`eventsmith migrate\` ` +
      `rebuilds it when it applies this migration (with --no-rebuild, run \`eventsmith projections rebuild ${projection} --db <url>\`); ` +
      `an app that applies it logs a warning, or rebuilds it with \`rebuild: true\`.`;
  }
  file.print(
    `/** ${describe(change)}${note ? `\n *\n * ${note}` : ''} */\n` +
      `export const ${migrationExport(name)}: ${type} = {\n${lossy ? `  rebuild: [${quote(projection)}],\n` : ''}  async up(db) {\n${up.map((s) => `    ${s}`).join('\n')}\n  },\n  async down(db) {\n${down.map((s) => `    ${s}`).join('\n')}\n  },\n};`,
  );
  return file;
}

/**
 * The statements of a migration, its doc note and, when it loses rows or values of existing rows
 * (`lossy`: what it loses, for `generate` to print), the projection must be rebuilt after it.
 */
function statements(
  file: GeneratedFile,
  change: TableChange,
): { up: string[]; down: string[]; note?: string; lossy?: string } {
  switch (change.kind) {
    case 'create':
      return { up: create(change.table), down: drop(change.table) };
    case 'drop':
      return {
        up: drop(change.table),
        down: create(change.table),
        note: 'The table and its rows are dropped; `down` recreates it empty.',
      };
    case 'recreate':
      return {
        up: [...drop(change.before), ...create(change.after)],
        down: [...drop(change.after), ...create(change.before)],
        note: 'The primary key changed, so the table is recreated empty: rebuild the projection to fill it.',
        lossy: `The primary key of ${change.after.table} changed, so this migration recreates the table empty.`,
      };
    case 'alter':
      return alter(file, change.before, change.after);
  }
}

function create(table: TableShape): string[] {
  const cols = table.columns.map(
    (c) => `.addColumn(${quote(c.name)}, ${quote(SQL_TYPES[c.type])}${columnOptions(c, table)})`,
  );
  const pk = `.addPrimaryKeyConstraint(${quote(`${table.table}_pkey`)}, [${table.primaryKey.map(quote).join(', ')}])`;
  return [
    `await db.schema.createTable(${quote(table.table)})${cols.join('')}${pk}.execute();`,
    ...table.indexes.map((i) => createIndex(table.table, i)),
  ];
}

function drop(table: TableShape): string[] {
  return [`await db.schema.dropTable(${quote(table.table)}).ifExists().execute();`];
}

function createIndex(table: string, index: IndexShape): string {
  return `await db.schema.createIndex(${quote(index.name)}).on(${quote(table)}).columns([${index.columns.map(quote).join(', ')}])${index.unique ? '.unique()' : ''}.execute();`;
}

// `.on(table)` is what MySQL needs; the runtime leaves the table out on SQLite and PostgreSQL
// (`projectionMigrationDatabase`), so one migration runs on all three.
function dropIndex(table: string, index: IndexShape): string {
  return `await db.schema.dropIndex(${quote(index.name)}).on(${quote(table)}).execute();`;
}

function columnOptions(column: ColumnShape, table: TableShape, backfill = false): string {
  const parts: string[] = [];
  if (!column.nullable || table.primaryKey.includes(column.name)) parts.push('.notNull()');
  const value =
    column.default !== undefined
      ? column.default
      : backfill && !column.nullable
        ? backfillValue(column.type)
        : undefined;
  if (value !== undefined && value !== null)
    parts.push(`.defaultTo(${literal(column.type === 'boolean' ? value : storedLiteral(column.type, value))})`);
  return parts.length ? `, (col) => col${parts.join('')}` : '';
}

/**
 * Column and index changes of a table whose primary key stayed. A retyped column is dropped
 * and added again (its values are lost: rebuild the projection); a NOT NULL column added without
 * a default gets the type's zero value in existing rows. A column whose default or nullability
 * changed (its type did not) is altered in place by `alterProjectionColumn`, and keeps its values.
 */
function alter(
  file: GeneratedFile,
  before: TableShape,
  after: TableShape,
): { up: string[]; down: string[]; note?: string; lossy?: string } {
  const t = quote(after.table);
  const oldCols = new Map(before.columns.map((c) => [c.name, c]));
  const newCols = new Map(after.columns.map((c) => [c.name, c]));
  const oldIdx = new Map(before.indexes.map((i) => [i.name, i]));
  const newIdx = new Map(after.indexes.map((i) => [i.name, i]));
  const removedCols = before.columns.filter((c) => !newCols.has(c.name));
  const addedCols = after.columns.filter((c) => !oldCols.has(c.name));
  const changedCols = after.columns.filter((c) => oldCols.has(c.name) && !sameJson(oldCols.get(c.name), c));
  const retypedCols = changedCols.filter((c) => oldCols.get(c.name)!.type !== c.type);
  const redefinedCols = changedCols.filter(
    (c) => oldCols.get(c.name)!.type === c.type && !sameDefinition(oldCols.get(c.name)!, c, after),
  );
  const touched = new Set([...removedCols, ...retypedCols].map((c) => c.name));
  const droppedIdx = before.indexes.filter(
    (i) => !sameJson(newIdx.get(i.name), i) || i.columns.some((c) => touched.has(c)),
  );
  const createdIdx = after.indexes.filter(
    (i) => !sameJson(oldIdx.get(i.name), i) || i.columns.some((c) => touched.has(c)),
  );
  const addCol = (table: TableShape, c: ColumnShape) =>
    `await db.schema.alterTable(${t}).addColumn(${quote(c.name)}, ${quote(SQL_TYPES[c.type])}${columnOptions(c, table, true)}).execute();`;
  const dropCol = (c: ColumnShape) => `await db.schema.alterTable(${t}).dropColumn(${quote(c.name)}).execute();`;
  // Several columns go in one call: SQLite copies the table once for all of them.
  const alterCols = (table: TableShape, cols: readonly ColumnShape[]) => {
    if (cols.length === 0) return [];
    const definitions = cols.map((c) => columnDefinition(c, table));
    const argument = definitions.length === 1 ? definitions[0] : `[${definitions.join(', ')}]`;
    return [`await ${file.import('alterProjectionColumn', RUNTIME)}(db, ${t}, ${argument});`];
  };
  const up = [
    ...droppedIdx.map((i) => dropIndex(before.table, i)),
    ...removedCols.map(dropCol),
    ...retypedCols.flatMap((c) => [dropCol(c), addCol(after, c)]),
    ...addedCols.map((c) => addCol(after, c)),
    ...alterCols(after, redefinedCols),
    ...createdIdx.map((i) => createIndex(after.table, i)),
  ];
  const down = [
    ...createdIdx.map((i) => dropIndex(after.table, i)),
    ...alterCols(
      before,
      redefinedCols.map((c) => oldCols.get(c.name)!),
    ),
    ...addedCols.map(dropCol),
    ...retypedCols.flatMap((c) => [dropCol(c), addCol(before, oldCols.get(c.name)!)]),
    ...removedCols.map((c) => addCol(before, c)),
    ...droppedIdx.map((i) => createIndex(before.table, i)),
  ];
  const zeroFilled = addedCols.filter((c) => !c.nullable && c.default === undefined);
  // Rows holding NULL in a column made NOT NULL get its default, or the zero value without one.
  const nullsZeroFilled = redefinedCols.filter(
    (c) => oldCols.get(c.name)!.nullable && !c.nullable && c.default === undefined,
  );
  const names = (cols: readonly ColumnShape[]) => cols.map((c) => c.name).join(', ');
  const lost = [
    ...(retypedCols.length ? [`retypes ${names(retypedCols)} (existing values are dropped)`] : []),
    ...(zeroFilled.length ? [`adds ${names(zeroFilled)} without a default (existing rows get the zero value)`] : []),
    ...(nullsZeroFilled.length
      ? [`makes ${names(nullsZeroFilled)} NOT NULL without a default (rows holding NULL get the zero value)`]
      : []),
  ];
  const notes = [
    ...(removedCols.length + lost.length > 0
      ? [
          'Columns were dropped, retyped, added without a default or made NOT NULL: rebuild the projection to fill them.',
        ]
      : []),
    ...(redefinedCols.length > 0
      ? [`The default or nullability of ${names(redefinedCols)} changed: altered in place, rows keep their values.`]
      : []),
  ];
  return {
    up,
    down,
    ...(notes.length > 0 ? { note: notes.join(' ') } : {}),
    // A dropped column loses nothing the projection still has; a retyped or zero-filled one holds
    // wrong values in every existing row until the projection is rebuilt.
    ...(lost.length > 0 ? { lossy: `This migration of ${after.table} ${lost.join(' and ')}.` } : {}),
  };
}

/** Whether the two definitions of a column are the same in the database (a key column is NOT NULL). */
function sameDefinition(a: ColumnShape, b: ColumnShape, table: TableShape): boolean {
  const key = table.primaryKey.includes(b.name);
  return (key || a.nullable === b.nullable) && sameJson(a.default, b.default);
}

/** `{ name, type, notNull, default, fill }` for `alterProjectionColumn`. */
function columnDefinition(column: ColumnShape, table: TableShape): string {
  const notNull = !column.nullable || table.primaryKey.includes(column.name);
  const value = column.default;
  const parts = [
    `name: ${quote(column.name)}`,
    `type: ${quote(SQL_TYPES[column.type])}`,
    `notNull: ${notNull}`,
    ...(value !== undefined && value !== null
      ? [`default: ${literal(column.type === 'boolean' ? value : storedLiteral(column.type, value))}`]
      : notNull
        ? [`fill: ${literal(storedLiteral(column.type, backfillValue(column.type)))}`]
        : []),
  ];
  return `{ ${parts.join(', ')} }`;
}

function describe(change: TableChange): string {
  const t = tableOf(change);
  switch (change.kind) {
    case 'create':
      return `Creates ${t.table} for the ${t.projection} projection.`;
    case 'drop':
      return `Drops ${t.table}: the ${t.projection} projection no longer has it.`;
    case 'recreate':
      return `Recreates ${t.table} (${t.projection}) with primary key (${change.after.primaryKey.join(', ')}).`;
    case 'alter':
      return `Changes the columns or indexes of ${t.table} (${t.projection}).`;
  }
}

function tableOf(change: TableChange): TableShape {
  return change.kind === 'create' || change.kind === 'drop' ? change.table : change.after;
}

function projectionSources(model: DomainModel, change: TableChange): string[] | undefined {
  const p = model.projections.find((x) => x.name === tableOf(change).projection);
  return p ? [p.source.file] : undefined;
}
