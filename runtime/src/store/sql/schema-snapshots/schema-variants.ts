import type { SqlDialectName } from '../event-store-tables.js';
import type { MigrateEventStoreOptions } from '../migrate-event-store.js';

/**
 * Every schema the event store can have, one frozen snapshot file per variant and release:
 * `v<release>.<variant>.sql` in this folder.
 */
export const SCHEMA_VARIANTS: Readonly<Record<string, MigrateEventStoreOptions & { dialect: SqlDialectName }>> = {
  postgres: { dialect: 'postgres' },
  'postgres-partitioned': { dialect: 'postgres', layout: { partitioned: {} } },
  'postgres-rls': { dialect: 'postgres', rowLevelSecurity: true },
  sqlite: { dialect: 'sqlite' },
  mysql: { dialect: 'mysql' },
};
