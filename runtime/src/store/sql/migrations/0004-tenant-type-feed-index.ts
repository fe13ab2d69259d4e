// Migration 0004 (PostgreSQL): the feed index of a tenant view filtered by event type. SHIPPED once
// released: never edit it; add a new migration. The frozen copies of the schema it produces live
// in ../schema-snapshots/v4.*.sql.
//
// A tenant view's feed filtered by event type had two indexes to choose from, the tenant's and the
// event type's, and neither suits every tenant: a generic plan made on a never-analyzed table read
// all of a large tenant's rows by bitmap and sorted them, and once analyzed a small tenant walked
// the whole type index. `(tenant_id, event_type, tx_id, position)` is a range scan in feed order
// for any tenant size (see README, "Upgrading to 0004 (PostgreSQL)").
//
// The migrations run in one transaction, where building the index blocks appends for as long as
// it takes. An operator can build it beforehand with `create index concurrently` under the same
// name; the migration then finds it and only checks it. A concurrent build that failed (or is
// still running) leaves an INVALID index of that name, which `if not exists` would keep without a
// word: the migration refuses it instead, saying what to run.
import { sql, type Kysely } from 'kysely';

export const TENANT_TYPE_INDEX = 'eventsmith_events_tenant_type_idx';
const COLUMNS = ['tenant_id', 'event_type', 'tx_id', 'position'];
/** How `pg_get_indexdef` spells the index's columns and predicate. */
const DEFINITION = '(tenant_id, event_type, tx_id, "position") WHERE (tenant_id IS NOT NULL)';

/** PostgreSQL, both layouts (on the partitioned one the index is partitioned too). */
export async function up0004Postgres(db: Kysely<any>): Promise<void> {
  await refuseUnusableIndexes(db);
  await db.schema
    .createIndex(TENANT_TYPE_INDEX)
    .ifNotExists()
    .on('eventsmith_events')
    .columns(COLUMNS)
    .where(sql.ref('tenant_id'), 'is not', null)
    .execute();
}

/**
 * Throws if a relation has the index's name but is not this index, or if an index with its
 * columns on the events table or one of its partitions is invalid (reads cannot use it, and
 * appends may still pay for it).
 */
async function refuseUnusableIndexes(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ name: string; on: string | null; valid: boolean | null; definition: string | null }>`
    select c.oid::regclass::text as name, i.indrelid::regclass::text as on, i.indisvalid as valid,
      pg_get_indexdef(c.oid) as definition
    from pg_class as c left join pg_index as i on i.indexrelid = c.oid
    where c.oid = to_regclass(${TENANT_TYPE_INDEX})
      or (i.indrelid in (select 'eventsmith_events'::regclass union all
            select inhrelid from pg_inherits where inhparent = 'eventsmith_events'::regclass)
          and not i.indisvalid and pg_get_indexdef(c.oid) like ${`%${DEFINITION}`})`.execute(db);
  for (const index of rows) {
    if (
      index.name === TENANT_TYPE_INDEX &&
      (index.on !== 'eventsmith_events' || !index.definition?.endsWith(DEFINITION))
    )
      throw new Error(
        `"${index.name}" exists but is not the index on eventsmith_events ${DEFINITION}` +
          ` (it is: ${index.definition ?? 'not an index'}). Drop or rename it, then migrate again.`,
      );
    if (index.valid === false)
      throw new Error(
        `index "${index.name}" on ${index.on} is INVALID: a \`create index concurrently\` failed or is still running. ` +
          `Once no build is running, drop it (\`drop index concurrently ${index.name};\`) and build it again ` +
          `concurrently (README, "Upgrading to 0004 (PostgreSQL)"), or just drop it and migrate again to build it inside the migration.`,
      );
  }
}
