import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import type { PostgresLayout } from '../event-store-migrations.js';
import { migrateEventStore } from '../migrate-event-store.js';
import { EventStoreMigrationError } from '../store-errors.js';
import { TENANT_TYPE_INDEX } from './0004-tenant-type-feed-index.js';

const snapshots = join(dirname(fileURLToPath(import.meta.url)), '../schema-snapshots');
const COLUMNS = '(tenant_id, event_type, tx_id, position) where tenant_id is not null';

/** A database at frozen schema v3 (before 0004), with a client of its own and the store's Kysely. */
async function atV3(layout: PostgresLayout) {
  const { url, drop } = await freshPostgresDatabase();
  // On a client of its own: the dump empties its session's search_path.
  const loader = new pg.Client({ connectionString: url });
  await loader.connect();
  await loader.query(
    readFileSync(join(snapshots, `v3.${layout === 'standard' ? 'postgres' : 'postgres-partitioned'}.sql`), 'utf8'),
  );
  await loader.end();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const db = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  const partitions = (
    await client.query<{ name: string }>(
      `select c.relname as name from pg_inherits as i join pg_class as c on c.oid = i.inhrelid
       where i.inhparent = 'eventsmith_events'::regclass order by c.relname`,
    )
  ).rows.map((r) => r.name);
  const index = async (name: string) =>
    (
      await client.query<{ oid: number; valid: boolean }>(
        `select indexrelid::int as oid, indisvalid as valid from pg_index where indexrelid = to_regclass($1)`,
        [name],
      )
    ).rows[0];
  return {
    url,
    client,
    partitions,
    index,
    migrate: () => migrateEventStore(db, { dialect: 'postgres', layout }),
    teardown: async () => {
      await client.end();
      await db.destroy();
      await drop();
    },
  };
}

/**
 * Leaves an INVALID index from `create index concurrently … on <table>`, as a failed build does: an
 * open transaction that writes `table` holds the build up until its statement timeout cancels it.
 */
async function failedConcurrentBuild(url: string, name: string, table: string): Promise<void> {
  const writer = new pg.Client({ connectionString: url });
  const builder = new pg.Client({ connectionString: url });
  await writer.connect();
  await builder.connect();
  try {
    await writer.query(`begin; lock table ${table} in row exclusive mode`);
    await builder.query(`set statement_timeout = 300`);
    await expect(builder.query(`create index concurrently ${name} on ${table} ${COLUMNS}`)).rejects.toThrow(
      /statement timeout/,
    );
  } finally {
    await writer.query('rollback');
    await writer.end();
    await builder.end();
  }
}

await describeWithService('postgres', 'event store migration 0004 (tenant type feed index)', () => {
  it('keeps an index built concurrently beforehand (standard layout)', async () => {
    const v3 = await atV3('standard');
    try {
      await v3.client.query(`create index concurrently ${TENANT_TYPE_INDEX} on eventsmith_events ${COLUMNS}`);
      const before = await v3.index(TENANT_TYPE_INDEX);
      const result = await v3.migrate();
      expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual([
        ['0004_tenant_type_feed_index', 'Success'],
        ['0005_store_identity', 'Success'],
      ]);
      expect(await v3.index(TENANT_TYPE_INDEX)).toEqual(before);
    } finally {
      await v3.teardown();
    }
  });

  it("keeps indexes built concurrently beforehand on each partition and attached to the parent's", async () => {
    const v3 = await atV3({ partitioned: {} });
    try {
      for (const partition of v3.partitions)
        await v3.client.query(`create index concurrently ${partition}_tenant_type_idx on ${partition} ${COLUMNS}`);
      await v3.client.query(`create index ${TENANT_TYPE_INDEX} on only eventsmith_events ${COLUMNS}`);
      expect((await v3.index(TENANT_TYPE_INDEX))!.valid).toBe(false); // until every partition's is attached
      for (const partition of v3.partitions)
        await v3.client.query(`alter index ${TENANT_TYPE_INDEX} attach partition ${partition}_tenant_type_idx`);
      const before = await Promise.all([TENANT_TYPE_INDEX, `${v3.partitions[0]}_tenant_type_idx`].map(v3.index));
      expect(before[0]!.valid).toBe(true);
      await v3.migrate();
      expect(await Promise.all([TENANT_TYPE_INDEX, `${v3.partitions[0]}_tenant_type_idx`].map(v3.index))).toEqual(
        before,
      );
    } finally {
      await v3.teardown();
    }
  });

  for (const layout of ['standard', 'partitioned'] as const) {
    it(`refuses an INVALID index left by a failed concurrent build, saying what to run, and builds it once dropped (${layout})`, async () => {
      const v3 = await atV3(layout === 'standard' ? 'standard' : { partitioned: {} });
      // On the partitioned layout the build that failed is one partition's (the parent's cannot be concurrent).
      const table = layout === 'standard' ? 'eventsmith_events' : v3.partitions[0]!;
      const name = layout === 'standard' ? TENANT_TYPE_INDEX : `${table}_tenant_type_idx`;
      try {
        await failedConcurrentBuild(v3.url, name, table);
        expect((await v3.index(name))!.valid).toBe(false);
        const error = await v3.migrate().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EventStoreMigrationError);
        expect(error).toMatchObject({ migrationName: '0004_tenant_type_feed_index' });
        expect((error as Error).message).toContain(`"${name}" on ${table} is INVALID`);
        expect((error as Error).message).toContain(`drop index concurrently ${name};`);
        expect(await v3.index(TENANT_TYPE_INDEX)).toEqual(layout === 'standard' ? expect.anything() : undefined);

        await v3.client.query(`drop index concurrently ${name}`);
        await v3.migrate();
        expect((await v3.index(TENANT_TYPE_INDEX))!.valid).toBe(true);
      } finally {
        await v3.teardown();
      }
    });
  }

  it('refuses another relation that has the index name', async () => {
    const v3 = await atV3('standard');
    try {
      await v3.client.query(`create index ${TENANT_TYPE_INDEX} on eventsmith_events (tenant_id, event_type)`);
      const error = await v3.migrate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreMigrationError);
      expect((error as Error).message).toContain(`"${TENANT_TYPE_INDEX}" exists but is not the index`);
    } finally {
      await v3.teardown();
    }
  });
});
