/**
 * Freezes the current event store schema: `npx tsx runtime/src/store/sql/schema-snapshots/freeze-schema.ts v2`
 * migrates a fresh database per variant and writes `v2.<variant>.sql` (schema plus the migration
 * table rows; not the store id a database keeps, which is its own) next to this file. Run it once per release that changes the schema; never rewrite an
 * existing snapshot. Needs the local PostgreSQL and MariaDB (POSTGRES_URL / MYSQL_URL) and the
 * `pg_dump` and `mariadb-dump` tools.
 */
import BetterSqlite3 from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, MysqlDialect, PostgresDialect } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { SqliteStoreDialect } from '../../sqlite/sqlite-dialect.js';
import { migrateEventStore } from '../migrate-event-store.js';
import { SqlTable } from '../sql-tables.js';
import { SCHEMA_VARIANTS } from './schema-variants.js';

const release = process.argv[2];
if (!release || !/^v\d+$/.test(release)) {
  console.error('Usage: freeze-schema.ts v<N>');
  process.exit(1);
}
const here = dirname(fileURLToPath(import.meta.url));
const postgresUrl = process.env['POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
const mysqlUrl = process.env['MYSQL_URL'] || 'mysql://root@127.0.0.1:3306/test';

for (const [variant, options] of Object.entries(SCHEMA_VARIANTS)) {
  const file = join(here, `${release}.${variant}.sql`);
  if (existsSync(file)) {
    console.log(`${file} exists; frozen snapshots are never rewritten.`);
    continue;
  }
  const name = `es_freeze_${process.pid}`;
  let dump: string;
  if (options.dialect === 'postgres') {
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    const db = new Kysely<any>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString() }) }),
    });
    await migrateEventStore(db, options);
    await db.destroy();
    dump = execFileSync(
      'pg_dump',
      [
        '--no-owner',
        '--no-privileges',
        '--no-comments',
        '--inserts',
        '--table=eventsmith*',
        `--exclude-table-data=${SqlTable.storeIdentity}`,
        url.toString(),
      ],
      {
        encoding: 'utf8',
      },
    );
    // psql meta-commands (\restrict …) cannot run through a driver; the SQL does not need them.
    dump = dump
      .split('\n')
      .filter((line) => !line.startsWith('\\') && !line.startsWith('--'))
      .join('\n')
      .replace(/\n{3,}/g, '\n\n');
    await admin.query(`drop database ${name}`);
    await admin.end();
  } else if (options.dialect === 'mysql') {
    const admin = createPool({ uri: mysqlUrl }).promise();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    const url = new URL(mysqlUrl);
    url.pathname = `/${name}`;
    const db = new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: url.toString() }) }) });
    await migrateEventStore(db, options);
    await db.destroy();
    const args = [
      '--skip-comments',
      '--compact',
      '--skip-dump-date',
      `--host=${url.hostname}`,
      `--port=${url.port || 3306}`,
      `--user=${url.username}`,
      `--ignore-table-data=${name}.${SqlTable.storeIdentity}`,
    ];
    if (url.password) args.push(`--password=${decodeURIComponent(url.password)}`);
    dump = execFileSync('mariadb-dump', [...args, name], { encoding: 'utf8' });
    await admin.query(`drop database ${name}`);
    await admin.end();
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'eventsmith-freeze-'));
    const database = new BetterSqlite3(join(dir, 'freeze.db'));
    const db = new Kysely<any>({ dialect: new SqliteStoreDialect({ database }) });
    await migrateEventStore(db, options);
    await db.destroy();
    const objects = database
      .prepare(`select sql from sqlite_master where sql is not null and name not like 'sqlite_%' order by rowid`)
      .all() as { sql: string }[];
    const statements = objects.map((o) => `${o.sql};`);
    for (const table of ['eventsmith_store_migration', 'eventsmith_store_migration_lock']) {
      for (const row of database.prepare(`select * from ${table}`).all() as Record<string, unknown>[]) {
        const values = Object.values(row).map((v) =>
          typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`,
        );
        statements.push(`insert into ${table} (${Object.keys(row).join(', ')}) values (${values.join(', ')});`);
      }
    }
    dump = statements.join('\n') + '\n';
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(
    file,
    `-- Frozen event store schema ${release} (${variant}). Generated by freeze-schema.ts; never edit.\n${dump.trim()}\n`,
  );
  console.log(`wrote ${file}`);
}
process.exit(0);
