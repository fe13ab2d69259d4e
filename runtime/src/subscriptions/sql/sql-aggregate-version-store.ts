import { sql, type Kysely, type Migration } from 'kysely';
import type { AggregateVersionKey, AggregateVersionStore } from '../../bus/aggregate-version-store.js';
import { binaryCollation, convertToBinaryCollation } from '../../store/sql/binary-collation.js';
import { migrateOrThrow } from '../../store/sql/run-migrations.js';
import { detectDialect, type SqlDialectName } from '../../store/sql/sql-dialect.js';
import { SqlMigrationTable, SqlTable } from '../../store/sql/sql-tables.js';

/** The table of bus version marks (one row per group, tenant and aggregate). */
export const AGGREGATE_VERSION_TABLE = SqlTable.aggregateVersions;

interface VersionTables {
  eventsmith_bus_aggregate_versions: {
    group_name: string;
    tenant_id: string;
    aggregate_type: string;
    aggregate_id: string;
    version: number | string;
    updated_at: number | string;
  };
}

/** Append-only migrations of the table. A migration that has shipped is never edited. */
function versionMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001-bus-aggregate-versions': {
      async up(db: Kysely<any>) {
        // Key columns sized so the primary key fits MySQL's 3072-byte limit in utf8mb4.
        await db.schema
          .createTable(AGGREGATE_VERSION_TABLE)
          .addColumn('group_name', 'varchar(100)', (c) => c.notNull())
          .addColumn('tenant_id', 'varchar(150)', (c) => c.notNull())
          .addColumn('aggregate_type', 'varchar(150)', (c) => c.notNull())
          .addColumn('aggregate_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('eventsmith_bus_aggregate_versions_pk', [
            'group_name',
            'tenant_id',
            'aggregate_type',
            'aggregate_id',
          ])
          .execute();
      },
      async down(db: Kysely<any>) {
        await db.schema.dropTable(AGGREGATE_VERSION_TABLE).ifExists().execute();
      },
    },
    // MariaDB/MySQL: a binary, not padding collation, so aggregate ids `A1`, `a1` and `a1 ` keep
    // their own marks, as on SQLite and PostgreSQL (the table took the database default, usually
    // case-insensitive and padding).
    '0002-binary-collation': {
      async up(db: Kysely<any>) {
        if (dialect === 'mysql') await convertToBinaryCollation(db, AGGREGATE_VERSION_TABLE, await binaryCollation(db));
      },
    },
  };
}

/**
 * Bus version marks (see `SubscribeOptions.versionGuard`) in a SQL table, on PostgreSQL, SQLite
 * or MariaDB/MySQL: they survive restarts. Create the table once with {@link migrate}. Raising a
 * mark is one upsert that never lowers it, so members of a group may race safely.
 *
 * @example
 * ```ts
 * const versions = new SqlAggregateVersionStore(store.db);
 * await versions.migrate();
 * await bus.subscribe(project, { group: 'read-model', versionGuard: versions }).start();
 * ```
 */
export class SqlAggregateVersionStore implements AggregateVersionStore {
  readonly #db: Kysely<VersionTables>;
  readonly #dialect: SqlDialectName;

  constructor(db: Kysely<any>, options: { dialect?: SqlDialectName } = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? detectDialect(db);
  }

  /** Creates or upgrades the table (Kysely `Migrator`, bookkeeping in `eventsmith_bus_aggregate_versions_migration`). */
  async migrate(): Promise<void> {
    await migrateOrThrow(this.#db, versionMigrations(this.#dialect), SqlMigrationTable.aggregateVersions);
  }

  async load(key: AggregateVersionKey): Promise<number | null> {
    const row = await this.#db
      .selectFrom(AGGREGATE_VERSION_TABLE)
      .select('version')
      .where('group_name', '=', key.group)
      .where('tenant_id', '=', key.tenantId ?? '')
      .where('aggregate_type', '=', key.aggregateType)
      .where('aggregate_id', '=', key.aggregateId)
      .executeTakeFirst();
    return row ? Number(row.version) : null;
  }

  async raise(key: AggregateVersionKey, version: number): Promise<void> {
    const row = {
      group_name: key.group,
      tenant_id: key.tenantId ?? '',
      aggregate_type: key.aggregateType,
      aggregate_id: key.aggregateId,
      version,
      updated_at: Date.now(),
    };
    const insert = this.#db.insertInto(AGGREGATE_VERSION_TABLE).values(row);
    if (this.#dialect === 'mysql') {
      await insert
        .onDuplicateKeyUpdate({
          updated_at: sql`if(version < values(version), values(updated_at), updated_at)`,
          version: sql`greatest(version, values(version))`,
        })
        .execute();
      return;
    }
    await insert
      .onConflict((oc) =>
        oc
          .columns(['group_name', 'tenant_id', 'aggregate_type', 'aggregate_id'])
          .doUpdateSet({
            version: (eb) => eb.ref('excluded.version'),
            updated_at: (eb) => eb.ref('excluded.updated_at'),
          })
          .where(`${AGGREGATE_VERSION_TABLE}.version`, '<', (eb) => eb.ref('excluded.version')),
      )
      .execute();
  }
}
