import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRegistry, EventStore, Kysely } from '@eventsmith/runtime';
import { freshMysqlDatabase, freshPostgresDatabase, type ServiceName } from '@eventsmith/test/support/services';

/** A SQL store the operations commands and the studio open, for tests that run on each. */
export interface SqlStoreTarget {
  readonly name: string;
  /** The service it needs (none for SQLite). */
  readonly service?: ServiceName;
  /** A new, empty database: its URL, an open (migrated) store on it and a clean-up. `prefix` names a server's database. */
  create(
    registry: EventRegistry,
    prefix?: string,
  ): Promise<{ url: string; store: EventStore & { db: Kysely<any> }; drop(): Promise<void> }>;
}

export const SQL_STORE_TARGETS: readonly SqlStoreTarget[] = [
  {
    name: 'SQLite',
    async create(registry) {
      const dir = await mkdtemp(join(tmpdir(), 'eventsmith-ops-'));
      const { SqliteEventStore } = await import('@eventsmith/runtime/sqlite');
      const filename = join(dir, 'store.sqlite');
      return {
        url: `sqlite:${filename}`,
        store: await SqliteEventStore.open({ filename, registry }),
        drop: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL',
    service: 'postgres',
    async create(registry, prefix) {
      const { url, drop } = await freshPostgresDatabase(prefix);
      const { PostgresEventStore } = await import('@eventsmith/runtime/postgres');
      return { url, store: await PostgresEventStore.open({ url, registry }), drop };
    },
  },
  {
    name: 'MariaDB',
    service: 'mysql',
    async create(registry, prefix) {
      const { url, drop } = await freshMysqlDatabase(prefix);
      const { MysqlEventStore } = await import('@eventsmith/runtime/mysql');
      return { url, store: await MysqlEventStore.open({ url, registry }), drop };
    },
  },
];
