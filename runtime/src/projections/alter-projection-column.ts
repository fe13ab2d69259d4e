import { sql, type Kysely, type RawBuilder } from 'kysely';
import { InvalidArgumentError } from '../errors.js';
import { detectDialect } from '../store/sql/sql-dialect.js';

/** A projection column's definition after {@link alterProjectionColumn}; its type stays. */
export interface ProjectionColumnDefinition {
  readonly name: string;
  /** The SQL type the column already has, e.g. `integer` (MySQL restates it to modify a column). */
  readonly type: string;
  readonly notNull: boolean;
  /** The default future inserts get; none when undefined. */
  readonly default?: string | number | boolean;
  /** What rows holding NULL get when the column becomes NOT NULL; the default when undefined. */
  readonly fill?: string | number;
}

/**
 * Changes a projection column's default or nullability and keeps every row's value, on SQLite,
 * PostgreSQL and MariaDB/MySQL alike, so one generated migration runs on each. Rows holding NULL
 * get `fill` (or the default) first when the column becomes NOT NULL. PostgreSQL alters the
 * column, MySQL modifies it, and SQLite, which cannot alter a column, copies the table into a new
 * one with the column changed (columns, key and indexes otherwise as they were). Pass several
 * columns of one table at once to have SQLite copy the table once for all of them.
 *
 * @example
 * ```ts
 * await alterProjectionColumn(db, 'todo_items', { name: 'priority', type: 'integer', notNull: true, default: 1 });
 * await alterProjectionColumn(db, 'todo_items', [
 *   { name: 'priority', type: 'integer', notNull: true, default: 1 },
 *   { name: 'note', type: 'text', notNull: false },
 * ]);
 * ```
 */
export async function alterProjectionColumn(
  db: Kysely<any>,
  table: string,
  columns: ProjectionColumnDefinition | readonly ProjectionColumnDefinition[],
): Promise<void> {
  const changed: readonly ProjectionColumnDefinition[] = isList(columns) ? columns : [columns];
  if (changed.length === 0) return;
  for (const column of changed) {
    const fill = column.fill ?? (typeof column.default === 'boolean' ? (column.default ? 1 : 0) : column.default);
    if (column.notNull && fill !== undefined)
      await db.updateTable(table).set(column.name, fill).where(column.name, 'is', null).execute();
  }
  const dialect = detectDialect(db);
  if (dialect === 'postgres') {
    for (const column of changed) {
      await db.schema
        .alterTable(table)
        .alterColumn(column.name, (c) =>
          column.default === undefined ? c.dropDefault() : c.setDefault(column.default),
        )
        .execute();
      await db.schema
        .alterTable(table)
        .alterColumn(column.name, (c) => (column.notNull ? c.setNotNull() : c.dropNotNull()))
        .execute();
    }
  } else if (dialect === 'mysql') {
    for (const column of changed) {
      await db.schema
        .alterTable(table)
        .modifyColumn(column.name, sql.raw(column.type), (c) => {
          const notNull = column.notNull ? c.notNull() : c;
          return column.default === undefined ? notNull : notNull.defaultTo(column.default);
        })
        .execute();
    }
  } else if (db.isTransaction) {
    await copySqliteTable(db, table, changed);
  } else {
    await db.transaction().execute((trx) => copySqliteTable(trx, table, changed));
  }
}

function isList(
  columns: ProjectionColumnDefinition | readonly ProjectionColumnDefinition[],
): columns is readonly ProjectionColumnDefinition[] {
  return Array.isArray(columns);
}

interface SqliteColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

/** SQLite's way to change a column (https://www.sqlite.org/lang_altertable.html#otheralter). */
async function copySqliteTable(
  db: Kysely<any>,
  table: string,
  changed: readonly ProjectionColumnDefinition[],
): Promise<void> {
  const columns = (await sql<SqliteColumn>`select * from pragma_table_info(${table})`.execute(db)).rows;
  const byName = new Map(changed.map((c) => [c.name, c]));
  for (const name of byName.keys())
    if (!columns.some((c) => c.name === name))
      throw new InvalidArgumentError(
        `Cannot alter column ${name} of ${table}: the table has no such column. Run the projection migrations in order.`,
      );
  const objects = (
    await sql<{ type: string; sql: string }>`
      select type, sql from sqlite_master where tbl_name = ${table} and sql is not null`.execute(db)
  ).rows;
  const create = objects.find((o) => o.type === 'table')!.sql;
  const constraint = /constraint\s+["`[]?(\w+)["`\]]?\s+primary\s+key/i.exec(create)?.[1];
  const key = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const definitions: RawBuilder<unknown>[] = columns.map((c) => {
    const column = byName.get(c.name);
    if (!column)
      return sql`${sql.id(c.name)} ${sql.raw(c.type)}${sql.raw(c.notnull ? ' not null' : '')}${
        c.dflt_value === null ? sql`` : sql` default ${sql.raw(c.dflt_value)}`
      }`;
    return sql`${sql.id(c.name)} ${sql.raw(c.type)}${sql.raw(column.notNull ? ' not null' : '')}${
      column.default === undefined ? sql`` : sql` default ${sql.lit(column.default)}`
    }`;
  });
  if (key.length > 0)
    definitions.push(
      sql`${constraint ? sql`constraint ${sql.id(constraint)} ` : sql``}primary key (${sql.join(key.map((c) => sql.id(c.name)))})`,
    );
  const copy = `${table}__alter`;
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  await sql`drop table if exists ${sql.table(copy)}`.execute(db);
  await sql`create table ${sql.table(copy)} (${sql.join(definitions)})`.execute(db);
  await sql`insert into ${sql.table(copy)} (${names}) select ${names} from ${sql.table(table)}`.execute(db);
  await sql`drop table ${sql.table(table)}`.execute(db);
  await sql`alter table ${sql.table(copy)} rename to ${sql.table(table)}`.execute(db);
  for (const index of objects.filter((o) => o.type === 'index')) await sql.raw(index.sql).execute(db);
}
