// Opt-in PostgreSQL migration rls-0001 (recorded in eventsmith_store_rls_migration). SHIPPED:
// never edit it. Run by `migrateEventStore(db, { dialect: 'postgres', rowLevelSecurity: true })`.
import { sql, type Kysely } from 'kysely';

/** The session setting that names the tenant a connection may see. Set per transaction. */
export const TENANT_SETTING = 'eventsmith.tenant_id';

/**
 * Row-level security on events and streams: a role subject to RLS (not the tables' owner, not
 * BYPASSRLS) sees and writes only rows whose `tenant_id` equals `current_setting('eventsmith.tenant_id')`.
 * Without the setting it sees nothing. The owner (who runs migrations and global projections)
 * is not affected, because the policies are not FORCEd.
 */
export async function upRls0001Postgres(db: Kysely<any>): Promise<void> {
  for (const table of ['eventsmith_events', 'eventsmith_streams']) {
    await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
    await sql`create policy eventsmith_tenant_isolation on ${sql.table(table)}
      using (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))
      with check (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))`.execute(db);
  }
}
