/** Fresh, isolated SQL databases for the subscription, outbox and projection integration tests. */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, sql, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freshMysqlDatabase, freshPostgresDatabase, type ServiceName } from '@eventsmith/test/support/services';
import type { EventStoreTransaction } from '../store/event-store.js';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';

export interface SqlTarget {
  readonly dialect: SqlDialectName;
  /** The service the suite needs, or undefined for SQLite. */
  readonly service: ServiceName | undefined;
  /** `prefix` names the PostgreSQL or MySQL database (a random suffix is added). */
  open(prefix?: string): Promise<{ db: Kysely<any>; url: string; close: () => Promise<void> }>;
}

export const SQL_TARGETS: readonly SqlTarget[] = [
  {
    dialect: 'sqlite',
    service: undefined,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'es-sub-'));
      const file = join(dir, 'test.db');
      const database = new BetterSqlite3(file);
      database.pragma('journal_mode = WAL');
      database.pragma('busy_timeout = 5000');
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
      return {
        db,
        url: file,
        close: async () => {
          await db.destroy();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    dialect: 'postgres',
    service: 'postgres',
    async open(prefix) {
      const { url, drop } = await freshPostgresDatabase(prefix);
      const pool = new pg.Pool({ connectionString: url, max: 8 });
      // Dropping the database (WITH FORCE) terminates any connection a test still holds; without
      // listeners, pg raises that as an uncaught error in whatever test runs next.
      pool.on('error', () => undefined);
      pool.on('connect', (client) => client.on('error', () => undefined));
      const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
      return {
        db,
        url,
        close: async () => {
          await db.destroy();
          await drop();
        },
      };
    },
  },
  {
    dialect: 'mysql',
    service: 'mysql',
    async open(prefix) {
      const { url, drop } = await freshMysqlDatabase(prefix);
      const db = new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: url, connectionLimit: 8 }) }) });
      return {
        db,
        url,
        close: async () => {
          await db.destroy();
          await drop();
        },
      };
    },
  },
];

/**
 * Opens a fresh database; on MariaDB/MySQL one whose default collation is the common
 * case-insensitive, trailing-space-ignoring `utf8mb4_general_ci`, whatever the server's default.
 */
export async function openWithDefaultCollation(target: SqlTarget, prefix?: string) {
  const opened = await target.open(prefix);
  if (target.dialect === 'mysql')
    await sql`alter database character set utf8mb4 collate utf8mb4_general_ci`.execute(opened.db);
  return opened;
}

/** A store transaction stand-in over a plain Kysely transaction (for outbox tests without a store). */
export function fakeStoreTransaction(sql: unknown): EventStoreTransaction {
  return {
    sql,
    afterCommit: () => undefined,
    appendToStream: async () => {
      throw new Error('not a real store transaction');
    },
  };
}
