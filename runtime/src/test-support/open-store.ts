/** Opens the real SQL event store of a dialect (tests and benchmarks only). */
import { MysqlEventStore } from '../store/mysql/mysql-event-store.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import type { EventStore } from '../store/event-store.js';
import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';
import { registry } from './subscription-fixtures.js';

export async function openStore(dialect: SqlDialectName, url: string): Promise<EventStore & { db: Kysely<any> }> {
  if (dialect === 'sqlite') return SqliteEventStore.open({ filename: url, registry, synchronous: 'NORMAL' });
  if (dialect === 'postgres') return PostgresEventStore.open({ url, registry, pool: { max: 6 } });
  return MysqlEventStore.open({ url, registry });
}
