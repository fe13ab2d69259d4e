import type { Kysely, Migration } from 'kysely';
import type { SqlDialectName } from './event-store-tables.js';
import { up0001Mysql, up0001Postgres, up0001PostgresPartitioned, up0001Sqlite } from './migrations/0001-event-store.js';
import { up0002Mysql, up0002Postgres, up0002Sqlite } from './migrations/0002-snapshot-tenants.js';
import { up0003Mysql, up0003Postgres, up0003Sqlite } from './migrations/0003-snapshot-fingerprints.js';
import { up0004Postgres } from './migrations/0004-tenant-type-feed-index.js';
import { up0005, type StoreIdentitySeed } from './migrations/0005-store-identity.js';
import { upRls0001Postgres } from './migrations/rls-0001-tenant-policies.js';
import { upRls0002Postgres } from './migrations/rls-0002-snapshot-policies.js';

/** How the PostgreSQL events table is laid out. Chosen once, when the store is first migrated. */
export type PostgresLayout = 'standard' | { readonly partitioned: { readonly partitions?: number } };

/** Default number of hash partitions of the partitioned PostgreSQL layout. */
export const DEFAULT_PARTITIONS = 16;

/**
 * The event store migrations for one dialect, in order. Append-only: a shipped migration is never
 * edited, renamed or removed; schema changes are new entries with a later name. `seed` chooses
 * the store id 0005 keeps in a database that has none yet.
 */
export function eventStoreMigrations(
  dialect: SqlDialectName,
  layout: PostgresLayout = 'standard',
  seed: StoreIdentitySeed = {},
): Record<string, Migration> {
  const storeIdentity = { up: (db: Kysely<any>) => up0005(db, dialect, seed) };
  switch (dialect) {
    case 'postgres':
      if (layout === 'standard') {
        return {
          '0001_event_store': { up: up0001Postgres },
          '0002_snapshot_tenants': { up: up0002Postgres },
          '0003_snapshot_fingerprints': { up: up0003Postgres },
          '0004_tenant_type_feed_index': { up: up0004Postgres },
          '0005_store_identity': storeIdentity,
        };
      }
      return {
        // The partition count is part of the name: a database keeps the count it was created with.
        [`0001_event_store_partitioned_${partitionCount(layout)}`]: {
          up: (db: Kysely<any>) => up0001PostgresPartitioned(db, partitionCount(layout)),
        },
        '0002_snapshot_tenants': { up: up0002Postgres },
        '0003_snapshot_fingerprints': { up: up0003Postgres },
        '0004_tenant_type_feed_index': { up: up0004Postgres },
        '0005_store_identity': storeIdentity,
      };
    case 'sqlite':
      return {
        '0001_event_store': { up: up0001Sqlite },
        '0002_snapshot_tenants': { up: up0002Sqlite },
        '0003_snapshot_fingerprints': { up: up0003Sqlite },
        '0005_store_identity': storeIdentity,
      };
    case 'mysql':
      return {
        '0001_event_store': { up: up0001Mysql },
        '0002_snapshot_tenants': { up: up0002Mysql },
        '0003_snapshot_fingerprints': { up: up0003Mysql },
        '0005_store_identity': storeIdentity,
      };
  }
}

/** The opt-in PostgreSQL row-level security migrations (their own migration table). */
export function rowLevelSecurityMigrations(): Record<string, Migration> {
  return { '0001_tenant_policies': { up: upRls0001Postgres }, '0002_snapshot_policies': { up: upRls0002Postgres } };
}

function partitionCount(layout: Exclude<PostgresLayout, 'standard'>): number {
  return layout.partitioned.partitions ?? DEFAULT_PARTITIONS;
}
