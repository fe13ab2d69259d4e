// Migration 0002: snapshots belong to a tenant view. SHIPPED once released: never edit it; add a
// new migration. The frozen copies of the schema it produces live in ../schema-snapshots/v2.*.sql.
//
// Until 0002 a snapshot was keyed by aggregate type and id only, so a tenant view could load the
// snapshot of another tenant's aggregate. Each snapshot now carries `tenant_id` (`''` for the
// unscoped store) in its key. A snapshot saved before is given to the tenant that owns its
// aggregate's stream (`eventsmith_streams.tenant_id`, set only while every event of the stream has
// that tenant), so its state holds only that tenant's events; every other one goes to the unscoped
// store, which no tenant view reads.
import { sql, type Kysely } from 'kysely';

/** PostgreSQL, both layouts. */
export async function up0002Postgres(db: Kysely<any>): Promise<void> {
  await sql`alter table eventsmith_snapshots add column tenant_id text not null default ''`.execute(db);
  await sql`update eventsmith_snapshots as sn set tenant_id = s.tenant_id from eventsmith_streams as s
    where s.stream_id = sn.aggregate_type || '-' || sn.aggregate_id and s.tenant_id is not null`.execute(db);
  await sql`alter table eventsmith_snapshots drop constraint eventsmith_snapshots_pkey,
    add constraint eventsmith_snapshots_pkey primary key (tenant_id, aggregate_type, aggregate_id)`.execute(db);
}

/** SQLite cannot change a primary key in place: the table is copied into a new one. */
export async function up0002Sqlite(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('eventsmith_snapshots_0002')
    .addColumn('aggregate_type', 'text', (c) => c.notNull())
    .addColumn('aggregate_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('state_version', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull().defaultTo(''))
    .addPrimaryKeyConstraint('eventsmith_snapshots_pkey', ['tenant_id', 'aggregate_type', 'aggregate_id'])
    .modifyEnd(sql`without rowid`)
    .execute();
  await sql`insert into eventsmith_snapshots_0002 (aggregate_type, aggregate_id, version, state_version, state, created_at, tenant_id)
    select sn.aggregate_type, sn.aggregate_id, sn.version, sn.state_version, sn.state, sn.created_at,
      coalesce((select s.tenant_id from eventsmith_streams as s where s.stream_id = sn.aggregate_type || '-' || sn.aggregate_id), '')
    from eventsmith_snapshots as sn`.execute(db);
  await db.schema.dropTable('eventsmith_snapshots').execute();
  await db.schema.alterTable('eventsmith_snapshots_0002').renameTo('eventsmith_snapshots').execute();
}

/** MariaDB/MySQL. */
export async function up0002Mysql(db: Kysely<any>): Promise<void> {
  await sql`alter table eventsmith_snapshots add column tenant_id varchar(255) not null default '',
    drop primary key, add primary key (tenant_id, aggregate_type, aggregate_id)`.execute(db);
  await sql`update eventsmith_snapshots as sn join eventsmith_streams as s on s.stream_id = concat(sn.aggregate_type, '-', sn.aggregate_id)
    set sn.tenant_id = s.tenant_id where s.tenant_id is not null`.execute(db);
}
