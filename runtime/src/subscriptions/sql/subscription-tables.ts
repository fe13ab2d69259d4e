import { sql, type ColumnDataType, type Generated, type Kysely, type Migration } from 'kysely';
import { InvalidArgumentError } from '../../errors.js';
import { TENANT_SETTING } from '../../store/sql/migrations/rls-0001-tenant-policies.js';
import { binaryCollation, convertToBinaryCollation } from '../../store/sql/binary-collation.js';
import { migrateOrThrow, type MigrationRun } from '../../store/sql/run-migrations.js';
import { detectDialect, type SqlDialectName } from '../../store/sql/sql-dialect.js';
import { SqlMigrationTable, SqlTable } from '../../store/sql/sql-tables.js';

/** @deprecated The one SQL dialect union is `SqlDialectName`. */
export type SubscriptionSqlDialect = SqlDialectName;

/** Table names used by the SQL checkpoint store, dead-letter queue, lease lock and outbox (whose row type is `OutboxTables`). */
export const SubscriptionTable = {
  checkpoints: SqlTable.checkpoints,
  deadLetters: SqlTable.deadLetters,
  leases: SqlTable.leases,
  outbox: SqlTable.outbox,
  pendingRebuilds: SqlTable.pendingRebuilds,
} as const;

/** Kysely migrator bookkeeping table for these tables. */
export const SUBSCRIPTION_MIGRATION_TABLE = SqlMigrationTable.subscriptions;

/**
 * Row types. Times are epoch milliseconds in bigint columns (the same on every dialect, compared
 * in SQL without time-zone surprises); positions are stored as their `toString()` token, because
 * PostgreSQL store positions exceed 64 bits.
 */
export interface SubscriptionTables {
  /** `tenant_id` (migration 0002): the tenant view's tenant, `''` for the unscoped store's checkpoints. */
  eventsmith_checkpoints: { tenant_id: Generated<string>; name: string; position: string; updated_at: number | string };
  eventsmith_dead_letters: {
    id: Generated<number | string>;
    /** The parked event's tenant (migration 0002). */
    tenant_id: string | null;
    subscription: string;
    event_id: string;
    event_type: string;
    stream_id: string;
    position: string;
    stored_at: number | string;
    record: string;
    error: string;
    stack: string | null;
    attempts: number;
    status: string;
    first_failed_at: number | string;
    last_failed_at: number | string;
    resolved_at: number | string | null;
    resolved_by: string | null;
  };
  /** `tenant_id` (migration 0002): as for checkpoints. */
  eventsmith_leases: {
    tenant_id: Generated<string>;
    name: string;
    owner: string;
    expires_at: number | string;
    acquired_at: number | string;
  };
  /** Migration 0003: a projection a lossy migration emptied or reset, until it is rebuilt. */
  eventsmith_pending_rebuilds: { projection: string; migration: string; marked_at: number | string };
}

function types(dialect: SqlDialectName) {
  return {
    key: (n: number): ColumnDataType => `varchar(${n})`,
    text: dialect === 'mysql' ? sql`longtext` : ('text' as ColumnDataType),
    ms: 'bigint' as ColumnDataType,
  };
}

/** Adds an auto-increment primary key column named `id`, per dialect. */
function withId<T extends { addColumn: (...args: any[]) => T }>(builder: T, dialect: SqlDialectName): T {
  if (dialect === 'postgres') return builder.addColumn('id', 'bigserial', (c: any) => c.primaryKey());
  if (dialect === 'sqlite') return builder.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  return builder.addColumn('id', 'bigint', (c: any) => c.primaryKey().autoIncrement());
}

/** The append-only migrations of these tables. A migration that has shipped is never edited. */
export function subscriptionMigrations(dialect: SqlDialectName): Record<string, Migration> {
  const t = types(dialect);
  return {
    '0001-subscription-tables': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable(SubscriptionTable.checkpoints)
          .addColumn('name', t.key(200), (c) => c.primaryKey())
          .addColumn('position', t.key(200), (c) => c.notNull())
          .addColumn('updated_at', t.ms, (c) => c.notNull())
          .execute();

        await withId(db.schema.createTable(SubscriptionTable.deadLetters), dialect)
          .addColumn('subscription', t.key(200), (c) => c.notNull())
          .addColumn('event_id', t.key(64), (c) => c.notNull())
          .addColumn('event_type', t.key(200), (c) => c.notNull())
          .addColumn('stream_id', t.key(255), (c) => c.notNull())
          .addColumn('position', t.key(200), (c) => c.notNull())
          .addColumn('stored_at', t.ms, (c) => c.notNull())
          .addColumn('record', t.text, (c) => c.notNull())
          .addColumn('error', t.text, (c) => c.notNull())
          .addColumn('stack', t.text)
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('status', t.key(16), (c) => c.notNull())
          .addColumn('first_failed_at', t.ms, (c) => c.notNull())
          .addColumn('last_failed_at', t.ms, (c) => c.notNull())
          .addColumn('resolved_at', t.ms)
          .addColumn('resolved_by', t.key(200))
          .addUniqueConstraint('eventsmith_dead_letters_event', ['subscription', 'event_id'])
          .execute();
        await db.schema
          .createIndex('eventsmith_dead_letters_status')
          .on(SubscriptionTable.deadLetters)
          .columns(['status', 'subscription', 'id'])
          .execute();

        await db.schema
          .createTable(SubscriptionTable.leases)
          .addColumn('name', t.key(200), (c) => c.primaryKey())
          .addColumn('owner', t.key(200), (c) => c.notNull())
          .addColumn('expires_at', t.ms, (c) => c.notNull())
          .addColumn('acquired_at', t.ms, (c) => c.notNull())
          .execute();

        await withId(db.schema.createTable(SubscriptionTable.outbox), dialect)
          .addColumn('event_id', t.key(64), (c) => c.notNull().unique())
          .addColumn('event_type', t.key(200), (c) => c.notNull())
          .addColumn('aggregate_type', t.key(200), (c) => c.notNull())
          .addColumn('aggregate_id', t.key(255), (c) => c.notNull())
          .addColumn('tenant_id', t.key(200))
          .addColumn('record', t.text, (c) => c.notNull())
          .addColumn('created_at', t.ms, (c) => c.notNull())
          .addColumn('status', t.key(16), (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', t.ms, (c) => c.notNull())
          .addColumn('last_error', t.text)
          .addColumn('claimed_by', t.key(200))
          .addColumn('claim_expires_at', t.ms)
          .addColumn('published_at', t.ms)
          .execute();
        await db.schema
          .createIndex('eventsmith_outbox_pending')
          .on(SubscriptionTable.outbox)
          .columns(['status', 'id'])
          .execute();
        await db.schema
          .createIndex('eventsmith_outbox_aggregate')
          .on(SubscriptionTable.outbox)
          .columns(['aggregate_type', 'aggregate_id', 'status', 'id'])
          .execute();
        await db.schema
          .createIndex('eventsmith_outbox_published')
          .on(SubscriptionTable.outbox)
          .columns(['published_at'])
          .execute();
      },
      async down(db: Kysely<any>) {
        for (const table of Object.values(SubscriptionTable)) await db.schema.dropTable(table).ifExists().execute();
      },
    },
    // Shipped: never edit. Checkpoints and leases of a tenant view's subscription are keyed by
    // (tenant, name), so two tenants' managers with one subscription name keep apart; the unscoped
    // ones keep theirs under tenant ''. A dead letter carries its event's tenant.
    '0002-tenants': {
      async up(db: Kysely<any>) {
        for (const table of [SubscriptionTable.checkpoints, SubscriptionTable.leases])
          await keyByTenant(db, dialect, table);
        await db.schema.alterTable(SubscriptionTable.deadLetters).addColumn('tenant_id', t.key(255)).execute();
        const tenant =
          dialect === 'postgres'
            ? sql`${sql.ref('record')}::jsonb ->> 'tenantId'`
            : dialect === 'sqlite'
              ? sql`json_extract(${sql.ref('record')}, '$.tenantId')`
              : sql`json_value(${sql.ref('record')}, '$.tenantId')`;
        await db.updateTable(SubscriptionTable.deadLetters).set({ tenant_id: tenant }).execute();
        await db.schema
          .createIndex('eventsmith_dead_letters_tenant')
          .on(SubscriptionTable.deadLetters)
          .columns(['tenant_id', 'status', 'subscription', 'id'])
          .execute();
      },
    },
    // Projections a lossy projection migration emptied or reset, until a rebuild completes: the
    // need to rebuild outlives the process that applied the migration (see pending-rebuilds.ts).
    // One row per projection, not per tenant: a rebuild replaces the whole table.
    '0003-pending-rebuilds': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable(SubscriptionTable.pendingRebuilds)
          .addColumn('projection', t.key(200), (c) => c.primaryKey())
          .addColumn('migration', t.key(255), (c) => c.notNull())
          .addColumn('marked_at', t.ms, (c) => c.notNull())
          .execute();
      },
    },
    // MariaDB/MySQL: the tables took the database's default collation, on most installs
    // case-insensitive and blind to trailing spaces, so tenants `acme`, `ACME` and `acme ` shared
    // a checkpoint. Binary and not padding: ids compare as on SQLite and PostgreSQL.
    '0004-binary-collation': {
      async up(db: Kysely<any>) {
        if (dialect !== 'mysql') return;
        const collation = await binaryCollation(db);
        for (const table of Object.values(SubscriptionTable)) await convertToBinaryCollation(db, table, collation);
      },
    },
  };
}

/** Puts `tenant_id` (default `''`) in front of `name` in the primary key of `table`. */
async function keyByTenant(db: Kysely<any>, dialect: SqlDialectName, table: string): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table ${sql.table(table)} add column tenant_id varchar(255) not null default '',
      drop constraint ${sql.id(`${table}_pkey`)}, add primary key (tenant_id, name)`.execute(db);
  } else if (dialect === 'mysql') {
    await sql`alter table ${sql.table(table)} add column tenant_id varchar(255) not null default '',
      drop primary key, add primary key (tenant_id, name)`.execute(db);
  } else {
    // SQLite cannot change a primary key in place: copy into a new table.
    const columns = (
      await sql<{
        name: string;
        type: string;
        notnull: number;
      }>`select name, type, "notnull" from pragma_table_info(${table})`.execute(db)
    ).rows;
    const next = `${table}_0002`;
    const definitions = columns.map(
      (c) => sql`${sql.ref(c.name)} ${sql.raw(c.type)}${sql.raw(c.notnull ? ' not null' : '')}`,
    );
    await sql`create table ${sql.table(next)} (tenant_id varchar(255) not null default '', ${sql.join(definitions)},
      primary key (tenant_id, name))`.execute(db);
    const names = sql.join(columns.map((c) => sql.ref(c.name)));
    await sql`insert into ${sql.table(next)} (${names}) select ${names} from ${sql.table(table)}`.execute(db);
    await db.schema.dropTable(table).execute();
    await db.schema.alterTable(next).renameTo(table).execute();
  }
}

/** Kysely migrator bookkeeping table for the opt-in PostgreSQL row-level security on these tables. */
export const SUBSCRIPTION_RLS_MIGRATION_TABLE = SqlMigrationTable.subscriptionsRls;

export interface MigrateSubscriptionTablesOptions {
  /**
   * PostgreSQL only: also put the outbox and the dead letters under row-level security, as
   * `migrateEventStore` does for events, streams and snapshots. A role subject to the policies
   * adds and sees only outbox rows and dead letters of the tenant in `eventsmith.tenant_id` (set
   * by a tenant view's `store.transaction()`, and by a dead-letter queue's tenant view); run the
   * `OutboxRelay` and operator tools over every tenant's dead letters as the tables' owner or a
   * `BYPASSRLS` role.
   */
  readonly rowLevelSecurity?: boolean;
}

/** The opt-in PostgreSQL row-level security migrations of these tables. Append-only, as the others. */
export function subscriptionRowLevelSecurityMigrations(): Record<string, Migration> {
  return {
    '0001-outbox-policies': {
      async up(db: Kysely<any>) {
        await sql`alter table ${sql.table(SubscriptionTable.outbox)} enable row level security`.execute(db);
        await sql`create policy eventsmith_tenant_isolation on ${sql.table(SubscriptionTable.outbox)}
          using (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))
          with check (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))`.execute(db);
      },
    },
    // Shipped: never edit. Needs migration 0002-tenants (dead letters carry tenant_id).
    '0002-dead-letter-policies': {
      async up(db: Kysely<any>) {
        await sql`alter table ${sql.table(SubscriptionTable.deadLetters)} enable row level security`.execute(db);
        await sql`create policy eventsmith_tenant_isolation on ${sql.table(SubscriptionTable.deadLetters)}
          using (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))
          with check (tenant_id = current_setting(${sql.lit(TENANT_SETTING)}, true))`.execute(db);
      },
    },
  };
}

/**
 * Creates or upgrades the checkpoint, dead-letter, lease and outbox tables with Kysely's
 * `Migrator`. Run it on the event store's database so that projections, checkpoints and outbox
 * rows can share its transactions.
 *
 * @example
 * ```ts
 * const store = await SqliteEventStore.open({ filename: 'app.db', registry });
 * await migrateSubscriptionTables(store.db);
 * ```
 */
export async function migrateSubscriptionTables(
  db: Kysely<any>,
  dialect: SqlDialectName = detectDialect(db),
  options: MigrateSubscriptionTablesOptions = {},
): Promise<MigrationRun> {
  if (options.rowLevelSecurity && dialect !== 'postgres') {
    throw new InvalidArgumentError(
      `The "rowLevelSecurity" option is PostgreSQL-only; ${dialect} has no row-level security.`,
    );
  }
  const result = await migrateOrThrow(db, subscriptionMigrations(dialect), SUBSCRIPTION_MIGRATION_TABLE);
  if (!options.rowLevelSecurity) return result;
  const rls = await migrateOrThrow(db, subscriptionRowLevelSecurityMigrations(), SUBSCRIPTION_RLS_MIGRATION_TABLE);
  const ahead = result.ahead ?? rls.ahead;
  return { results: [...(result.results ?? []), ...(rls.results ?? [])], ...(ahead ? { ahead } : {}) };
}
