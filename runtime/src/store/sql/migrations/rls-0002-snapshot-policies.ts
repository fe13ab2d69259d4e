// Opt-in PostgreSQL migration rls-0002 (recorded in eventsmith_store_rls_migration). SHIPPED once
// released: never edit it. Needs event store migration 0002 (snapshots carry `tenant_id`).
import { sql, type Kysely } from 'kysely';
import { TENANT_SETTING } from './rls-0001-tenant-policies.js';

/**
 * Row-level security on snapshots, as rls-0001 on events and streams: a role subject to RLS sees
 * and writes only snapshots of the tenant in `eventsmith.tenant_id`, and none of the unscoped
 * store's (`tenant_id = ''`).
 */
export async function upRls0002Postgres(db: Kysely<any>): Promise<void> {
  await sql`alter table eventsmith_snapshots enable row level security`.execute(db);
  await sql`create policy eventsmith_tenant_isolation on eventsmith_snapshots
    using (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))
    with check (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))`.execute(db);
}
