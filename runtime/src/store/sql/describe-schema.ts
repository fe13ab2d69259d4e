import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from './event-store-tables.js';

/**
 * A normalised, line-per-object description of the event store schema in a database: tables,
 * columns, constraints, indexes, partitions and policies, read from the catalog and sorted.
 * Two databases with the same schema describe identically however they got there, which is what
 * the frozen-schema tests compare. Kysely's own migration tables are left out.
 *
 * @example
 * ```ts
 * const before = await describeEventStoreSchema(db, 'postgres');
 * ```
 */
export async function describeEventStoreSchema(db: Kysely<any>, dialect: SqlDialectName): Promise<string> {
  const lines = dialect === 'postgres' ? await postgres(db) : dialect === 'mysql' ? await mysql(db) : await sqlite(db);
  return lines.sort().join('\n') + '\n';
}

const OURS = (column: string) =>
  sql`${sql.raw(column)} like 'eventsmith%' and ${sql.raw(column)} not like 'eventsmith_store_migration%'`;

async function postgres(db: Kysely<any>): Promise<string[]> {
  const lines: string[] = [];
  const columns = await sql<Record<string, unknown>>`
    select table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, is_identity, identity_generation
    from information_schema.columns where table_schema = current_schema() and ${OURS('table_name')}`.execute(db);
  for (const c of columns.rows) {
    lines.push(
      `column ${c['table_name']}.${String(c['ordinal_position']).padStart(2, '0')} ${c['column_name']} ${c['udt_name']}` +
        `${c['is_nullable'] === 'NO' ? ' not null' : ''}${c['column_default'] ? ` default ${c['column_default']}` : ''}` +
        `${c['is_identity'] === 'YES' ? ` identity ${c['identity_generation']}` : ''}`,
    );
  }
  const constraints = await sql<Record<string, unknown>>`
    select c.conrelid::regclass::text as table_name, c.conname, pg_get_constraintdef(c.oid) as def
    from pg_constraint c where c.connamespace = current_schema()::regnamespace and ${OURS('c.conrelid::regclass::text')}`.execute(
    db,
  );
  for (const c of constraints.rows) lines.push(`constraint ${c['table_name']}.${c['conname']} ${c['def']}`);
  const indexes = await sql<Record<string, unknown>>`
    select tablename, indexname, indexdef from pg_indexes where schemaname = current_schema() and ${OURS('tablename')}`.execute(
    db,
  );
  for (const i of indexes.rows) lines.push(`index ${i['tablename']}.${i['indexname']} ${i['indexdef']}`);
  const tables = await sql<Record<string, unknown>>`
    select relname, relkind, relrowsecurity, relforcerowsecurity, pg_get_partkeydef(oid) as partkey, pg_get_expr(relpartbound, oid) as bound
    from pg_class where relnamespace = current_schema()::regnamespace and relkind in ('r', 'p', 'S') and ${OURS('relname')}`.execute(
    db,
  );
  for (const t of tables.rows) {
    lines.push(
      `table ${t['relname']} kind=${t['relkind']} rls=${t['relrowsecurity']} force=${t['relforcerowsecurity']}` +
        `${t['partkey'] ? ` partition by ${t['partkey']}` : ''}${t['bound'] ? ` ${t['bound']}` : ''}`,
    );
  }
  const policies = await sql<Record<string, unknown>>`
    select tablename, policyname, permissive, roles::text as roles, cmd, qual, with_check
    from pg_policies where schemaname = current_schema() and ${OURS('tablename')}`.execute(db);
  for (const p of policies.rows) {
    lines.push(
      `policy ${p['tablename']}.${p['policyname']} ${p['permissive']} ${p['roles']} ${p['cmd']} using ${p['qual']} check ${p['with_check']}`,
    );
  }
  return lines;
}

async function mysql(db: Kysely<any>): Promise<string[]> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables where table_schema = database() and ${OURS('table_name')}`.execute(
    db,
  );
  const lines: string[] = [];
  for (const { name } of tables.rows) {
    const result = await sql<Record<string, string>>`show create table ${sql.table(name)}`.execute(db);
    const ddl = result.rows[0]!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, '');
    lines.push(`table ${name}\n${ddl}`);
  }
  return lines;
}

async function sqlite(db: Kysely<any>): Promise<string[]> {
  const rows = await sql<{ type: string; name: string; tbl_name: string; sql: string | null }>`
    select type, name, tbl_name, sql from sqlite_master where ${OURS('name')}`.execute(db);
  return rows.rows.map((r) => `${r.type} ${r.tbl_name}.${r.name}${r.sql ? `\n${r.sql}` : ''}`);
}
