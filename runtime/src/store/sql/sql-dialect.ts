import { MysqlAdapter, PostgresAdapter, SqliteAdapter, type Kysely } from 'kysely';
import { InvalidArgumentError } from '../../errors.js';

/** The SQL databases eventsmith's tables run on: the event store, subscriptions, outbox and bus marks. */
export type SqlDialectName = 'postgres' | 'sqlite' | 'mysql';

/** Which SQL dialect a Kysely instance speaks, from its adapter (no driver is loaded). */
export function detectDialect(db: Kysely<any>): SqlDialectName {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'postgres';
  if (adapter instanceof SqliteAdapter) return 'sqlite';
  if (adapter instanceof MysqlAdapter) return 'mysql';
  const name = adapter.constructor.name.toLowerCase();
  if (name.includes('postgres')) return 'postgres';
  if (name.includes('sqlite')) return 'sqlite';
  if (name.includes('mysql') || name.includes('maria')) return 'mysql';
  throw new InvalidArgumentError(
    `Cannot tell the SQL dialect of adapter ${adapter.constructor.name}; pass { dialect } explicitly.`,
  );
}

/** Milliseconds since the epoch as stored in bigint columns (read back as number or string). */
export function msToDate(value: unknown): Date {
  return new Date(Number(value));
}

/** Rows affected by an insert/update/delete result, across dialects. */
export function affected(result: {
  numUpdatedRows?: bigint;
  numInsertedOrUpdatedRows?: bigint;
  numDeletedRows?: bigint;
}): number {
  return Number(result.numUpdatedRows ?? result.numInsertedOrUpdatedRows ?? result.numDeletedRows ?? 0n);
}
