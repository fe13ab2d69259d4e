// Migration 0001: the event store's first schema. SHIPPED: never edit it; add a new migration.
// Each dialect gets its own DDL, built with Kysely's schema builder. The frozen copies of what it
// produces live in ../schema-snapshots/v1.*.sql, and a test fails if this code drifts from them.
import { sql, type CreateTableBuilder, type Kysely } from 'kysely';

type Table = CreateTableBuilder<any, any>;

/** PostgreSQL, standard layout: one events table ordered by (tx_id, position). */
export async function up0001Postgres(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('eventsmith_streams')
    .addColumn('stream_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    // The writing transaction of the last append; keeps a stream's versions in feed order.
    .addColumn('last_tx', sql`xid8`, (c) => c.notNull())
    .execute();
  await postgresEventColumns(
    db.schema
      .createTable('eventsmith_events')
      .addColumn('position', 'bigint', (c) => c.generatedAlwaysAsIdentity().primaryKey())
      .addColumn('tx_id', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`)),
  )
    .addUniqueConstraint('eventsmith_events_stream_version_key', ['stream_id', 'version'])
    .addUniqueConstraint('eventsmith_events_event_id_key', ['event_id'])
    .execute();
  await postgresFeedIndexes(db);
  await postgresSnapshots(db);
}

/**
 * PostgreSQL, partitioned layout: events hash-partitioned by stream id into `partitions` tables.
 * The primary key (stream_id, version) contains the partition key, so stream-version uniqueness
 * holds across partitions; event-id uniqueness, which cannot be a partitioned index, is kept by
 * the unpartitioned `eventsmith_event_ids` table written in the same statement as the events.
 */
export async function up0001PostgresPartitioned(db: Kysely<any>, partitions: number): Promise<void> {
  await db.schema
    .createTable('eventsmith_streams')
    .addColumn('stream_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('last_tx', sql`xid8`, (c) => c.notNull())
    .execute();
  await sql`create sequence eventsmith_events_position_seq`.execute(db);
  await postgresEventColumns(
    db.schema
      .createTable('eventsmith_events')
      .addColumn('position', 'bigint', (c) => c.notNull().defaultTo(sql`nextval('eventsmith_events_position_seq')`))
      .addColumn('tx_id', sql`xid8`, (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`)),
  )
    .addPrimaryKeyConstraint('eventsmith_events_pkey', ['stream_id', 'version'])
    .modifyEnd(sql`partition by hash (stream_id)`)
    .execute();
  for (let i = 0; i < partitions; i++) {
    await sql`create table ${sql.id(`eventsmith_events_p${i}`)} partition of eventsmith_events
      for values with (modulus ${sql.lit(partitions)}, remainder ${sql.lit(i)})`.execute(db);
  }
  await db.schema
    .createTable('eventsmith_event_ids')
    .addColumn('event_id', 'text', (c) => c.primaryKey())
    .addColumn('stream_id', 'text', (c) => c.notNull())
    .execute();
  await postgresFeedIndexes(db);
  await postgresSnapshots(db);
}

function postgresEventColumns(table: Table): Table {
  return table
    .addColumn('stream_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_version', 'integer', (c) => c.notNull())
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('causation_id', 'text')
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('stored_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`));
}

/**
 * Every feed read is a range scan in (tx_id, position) order, optionally within one filter value.
 * Only indexes the store's own queries use: each index is paid for on every append.
 */
async function postgresFeedIndexes(db: Kysely<any>): Promise<void> {
  const feed = ['tx_id', 'position'];
  await db.schema.createIndex('eventsmith_events_feed_idx').on('eventsmith_events').columns(feed).execute();
  await db.schema
    .createIndex('eventsmith_events_type_idx')
    .on('eventsmith_events')
    .columns(['event_type', ...feed])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_aggregate_type_idx')
    .on('eventsmith_events')
    .columns(['aggregate_type', ...feed])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_tenant_idx')
    .on('eventsmith_events')
    .columns(['tenant_id', ...feed])
    .where(sql.ref('tenant_id'), 'is not', null)
    .execute();
}

async function postgresSnapshots(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('eventsmith_snapshots')
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state_version', 'integer', (c) => c.notNull())
    .addColumn('state', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('eventsmith_snapshots_pkey', ['aggregate_type', 'aggregate_id'])
    .execute();
}

/** SQLite: positions are the rowid (AUTOINCREMENT, so never reused); timestamps are ISO-8601 text. */
export async function up0001Sqlite(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('eventsmith_streams')
    .addColumn('stream_id', 'text', (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .modifyEnd(sql`without rowid`)
    .execute();
  await db.schema
    .createTable('eventsmith_events')
    .addColumn('position', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('stream_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_version', 'integer', (c) => c.notNull())
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text')
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('correlation_id', 'text', (c) => c.notNull())
    .addColumn('causation_id', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('stored_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('eventsmith_events_stream_version_key', ['stream_id', 'version'])
    .addUniqueConstraint('eventsmith_events_event_id_key', ['event_id'])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_type_idx')
    .on('eventsmith_events')
    .columns(['event_type', 'position'])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_aggregate_type_idx')
    .on('eventsmith_events')
    .columns(['aggregate_type', 'position'])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_tenant_idx')
    .on('eventsmith_events')
    .columns(['tenant_id', 'position'])
    .where(sql.ref('tenant_id'), 'is not', null)
    .execute();
  await db.schema
    .createTable('eventsmith_snapshots')
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state_version', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('eventsmith_snapshots_pkey', ['aggregate_type', 'aggregate_id'])
    .modifyEnd(sql`without rowid`)
    .execute();
}

/**
 * MariaDB/MySQL: positions come from the single-row `eventsmith_positions` allocator, not from
 * AUTO_INCREMENT (see `MysqlEventStore`). Binary collation keeps ids case-sensitive.
 */
export async function up0001Mysql(db: Kysely<any>): Promise<void> {
  const innodb = sql`engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`;
  const id = 'varchar(255)';
  await db.schema
    .createTable('eventsmith_streams')
    .addColumn('stream_id', id, (c) => c.primaryKey())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('tenant_id', id)
    .modifyEnd(innodb)
    .execute();
  await db.schema
    .createTable('eventsmith_positions')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .modifyEnd(innodb)
    .execute();
  await db.insertInto('eventsmith_positions').values({ id: 1, value: 0 }).execute();
  await db.schema
    .createTable('eventsmith_events')
    .addColumn('position', 'bigint', (c) => c.primaryKey())
    .addColumn('stream_id', id, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('event_id', id, (c) => c.notNull())
    .addColumn('event_type', id, (c) => c.notNull())
    .addColumn('event_version', 'integer', (c) => c.notNull())
    .addColumn('aggregate_type', id, (c) => c.notNull())
    .addColumn('aggregate_id', id, (c) => c.notNull())
    .addColumn('tenant_id', id)
    .addColumn('occurred_at', 'datetime(3)', (c) => c.notNull())
    .addColumn('actor_id', id)
    .addColumn('correlation_id', id, (c) => c.notNull())
    .addColumn('causation_id', id)
    .addColumn('metadata', 'json', (c) => c.notNull())
    .addColumn('data', 'json', (c) => c.notNull())
    .addColumn('stored_at', 'datetime(3)', (c) => c.notNull())
    .addUniqueConstraint('eventsmith_events_stream_version_key', ['stream_id', 'version'])
    .addUniqueConstraint('eventsmith_events_event_id_key', ['event_id'])
    .modifyEnd(innodb)
    .execute();
  await db.schema
    .createIndex('eventsmith_events_type_idx')
    .on('eventsmith_events')
    .columns(['event_type', 'position'])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_aggregate_type_idx')
    .on('eventsmith_events')
    .columns(['aggregate_type', 'position'])
    .execute();
  await db.schema
    .createIndex('eventsmith_events_tenant_idx')
    .on('eventsmith_events')
    .columns(['tenant_id', 'position'])
    .execute();
  await db.schema
    .createTable('eventsmith_snapshots')
    .addColumn('aggregate_type', id, (c) => c.notNull())
    .addColumn('aggregate_id', id, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state_version', 'integer', (c) => c.notNull())
    .addColumn('state', 'json', (c) => c.notNull())
    .addColumn('created_at', 'datetime(3)', (c) => c.notNull())
    .addPrimaryKeyConstraint('eventsmith_snapshots_pkey', ['aggregate_type', 'aggregate_id'])
    .modifyEnd(innodb)
    .execute();
}
