import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kysely, MysqlDialect, PostgresDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase, freshPostgresDatabase } from '@eventsmith/test/support/services';
import type { SnapshotStore } from '../../../snapshots/snapshot-store.js';
import { MysqlSnapshotStore } from '../../mysql/mysql-snapshot-store.js';
import { PostgresSnapshotStore } from '../../postgres/postgres-snapshot-store.js';
import { SqliteStoreDialect } from '../../sqlite/sqlite-dialect.js';
import { SqliteSnapshotStore } from '../../sqlite/sqlite-snapshot-store.js';
import { describeEventStoreSchema } from '../describe-schema.js';
import type { SqlDialectName } from '../event-store-tables.js';
import { migrateEventStore } from '../migrate-event-store.js';
import { SCHEMA_VARIANTS } from './schema-variants.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Frozen snapshots of a variant, oldest release first. */
function snapshotsOf(variant: string): { release: number; file: string }[] {
  return readdirSync(here)
    .map((file) => ({ file, match: /^v(\d+)\.(.+)\.sql$/.exec(file) }))
    .filter((f) => f.match?.[2] === variant)
    .map((f) => ({ release: Number(f.match![1]), file: join(here, f.file) }))
    .sort((a, b) => a.release - b.release);
}

interface FreshDb {
  readonly db: Kysely<any>;
  /** Runs a multi-statement SQL script. */
  readonly exec: (script: string) => Promise<void>;
  readonly drop: () => Promise<void>;
}

async function freshDb(dialect: SqlDialectName): Promise<FreshDb> {
  if (dialect === 'postgres') {
    const { url, drop } = await freshPostgresDatabase();
    const db = new Kysely<any>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
    });
    return {
      db,
      exec: async (script) => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(script);
        await client.end();
      },
      drop: async () => {
        await db.destroy();
        await drop();
      },
    };
  }
  if (dialect === 'mysql') {
    const { url, drop } = await freshMysqlDatabase();
    // As the store's pool: DATETIME and JSON columns come back as text.
    const db = new Kysely<any>({
      dialect: new MysqlDialect({
        pool: createPool({ uri: url, connectionLimit: 2, dateStrings: true, jsonStrings: true }),
      }),
    });
    return {
      db,
      exec: async (script) => {
        const connection = createPool({ uri: url, multipleStatements: true, connectionLimit: 1 }).promise();
        await connection.query(script);
        await connection.end();
      },
      drop: async () => {
        await db.destroy();
        await drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-schema-'));
  const database = new BetterSqlite3(join(dir, 'schema.db'));
  const db = new Kysely<any>({ dialect: new SqliteStoreDialect({ database }) });
  return {
    db,
    exec: async (script) => void database.exec(script),
    drop: async () => {
      await db.destroy();
      database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function variantTests(variant: string, options: (typeof SCHEMA_VARIANTS)[string]): void {
  const snapshots = snapshotsOf(variant);

  it('has at least one frozen snapshot', () => {
    expect(snapshots.length).toBeGreaterThan(0);
  });

  for (const snapshot of snapshots) {
    it(`migrates from frozen v${snapshot.release} to the latest schema`, async () => {
      const fromSnapshot = await freshDb(options.dialect);
      const fresh = await freshDb(options.dialect);
      try {
        await fromSnapshot.exec(readFileSync(snapshot.file, 'utf8'));
        await migrateEventStore(fromSnapshot.db, options);
        await migrateEventStore(fresh.db, options);
        expect(await describeEventStoreSchema(fromSnapshot.db, options.dialect)).toBe(
          await describeEventStoreSchema(fresh.db, options.dialect),
        );
      } finally {
        await fromSnapshot.drop();
        await fresh.drop();
      }
    });
  }

  it('migrates a fresh database to exactly the latest frozen snapshot (no drift)', async () => {
    const latest = snapshots[snapshots.length - 1]!;
    const frozen = await freshDb(options.dialect);
    const live = await freshDb(options.dialect);
    try {
      await frozen.exec(readFileSync(latest.file, 'utf8'));
      await migrateEventStore(live.db, options);
      const expected = await describeEventStoreSchema(frozen.db, options.dialect);
      const actual = await describeEventStoreSchema(live.db, options.dialect);
      expect(
        actual,
        `The migrations no longer produce v${latest.release}. A shipped migration was edited, or a new one needs a new frozen snapshot (freeze-schema.ts).`,
      ).toBe(expected);
      // Migrating again is a no-op.
      const again = await migrateEventStore(live.db, options);
      expect(again.results).toEqual([]);
    } finally {
      await frozen.drop();
      await live.drop();
    }
  });
}

/** Migration 0002 gives each snapshot saved before it to the tenant that owns its stream, and no other. */
function snapshotOwnershipTest(variant: string, options: (typeof SCHEMA_VARIANTS)[string]): void {
  it('gives a v1 snapshot to the tenant owning its stream, and the others to the unscoped store only', async () => {
    const v1 = snapshotsOf(variant).find((s) => s.release === 1)!;
    const fresh = await freshDb(options.dialect);
    try {
      await fresh.exec(readFileSync(v1.file, 'utf8'));
      const { db } = fresh;
      const lastTx = options.dialect === 'postgres' ? { last_tx: sql`pg_current_xact_id()` } : {};
      await db
        .insertInto('eventsmith_streams')
        .values([
          { stream_id: 'Account-owned', version: 3, tenant_id: 't1', ...lastTx },
          { stream_id: 'Account-shared', version: 3, tenant_id: null, ...lastTx },
        ])
        .execute();
      const createdAt = options.dialect === 'mysql' ? '2026-01-01 00:00:00.000' : '2026-01-01T00:00:00.000Z';
      await db
        .insertInto('eventsmith_snapshots')
        .values(
          ['owned', 'shared', 'orphan'].map((id) => ({
            aggregate_type: 'Account',
            aggregate_id: id,
            version: 3,
            state_version: 1,
            state: JSON.stringify({ id }),
            created_at: createdAt,
          })),
        )
        .execute();
      await migrateEventStore(db, options);
      const store =
        options.dialect === 'postgres'
          ? new PostgresSnapshotStore(db)
          : options.dialect === 'mysql'
            ? new MysqlSnapshotStore(db)
            : new SqliteSnapshotStore(db);
      const state = async (view: SnapshotStore, id: string) => (await view.get('Account', id))?.state;
      expect(await state(store.forTenant('t1'), 'owned')).toEqual({ id: 'owned' });
      expect(await state(store, 'owned')).toBeUndefined();
      for (const id of ['shared', 'orphan']) {
        expect(await state(store, id)).toEqual({ id });
        expect(await state(store.forTenant('t1'), id)).toBeUndefined();
      }
      for (const id of ['owned', 'shared', 'orphan']) expect(await state(store.forTenant('t2'), id)).toBeUndefined();
    } finally {
      await fresh.drop();
    }
  });
}

/**
 * Migration 0003 adds the schema fingerprint: a snapshot saved under v2 keeps its state and has
 * none (so a generated aggregate, which has one, ignores it and replays in full), and a newer
 * snapshot with a fingerprint replaces it.
 */
function snapshotFingerprintTest(variant: string, options: (typeof SCHEMA_VARIANTS)[string]): void {
  it('keeps a v2 snapshot without a fingerprint, and a newer snapshot with one replaces it', async () => {
    const v2 = snapshotsOf(variant).find((s) => s.release === 2)!;
    const fresh = await freshDb(options.dialect);
    try {
      await fresh.exec(readFileSync(v2.file, 'utf8'));
      const { db } = fresh;
      const createdAt = options.dialect === 'mysql' ? '2026-01-01 00:00:00.000' : '2026-01-01T00:00:00.000Z';
      await db
        .insertInto('eventsmith_snapshots')
        .values(
          ['', 't1'].map((tenant) => ({
            tenant_id: tenant,
            aggregate_type: 'Cart',
            aggregate_id: 'cart-1',
            version: 6,
            state_version: 1,
            state: JSON.stringify({ total: 600 }),
            created_at: createdAt,
          })),
        )
        .execute();
      await migrateEventStore(db, options);
      const store =
        options.dialect === 'postgres'
          ? new PostgresSnapshotStore(db)
          : options.dialect === 'mysql'
            ? new MysqlSnapshotStore(db)
            : new SqliteSnapshotStore(db);
      for (const view of [store, store.forTenant('t1')]) {
        const old = await view.get('Cart', 'cart-1');
        expect(old).toMatchObject({ version: 6, stateVersion: 1, state: { total: 600 } });
        expect(old!.fingerprint).toBeUndefined();
      }
      await store.forTenant('t1').save({
        aggregateType: 'Cart',
        aggregateId: 'cart-1',
        version: 6,
        stateVersion: 1,
        fingerprint: 'abc123',
        state: { total: 6 },
        createdAt: new Date(),
      });
      expect(await store.forTenant('t1').get('Cart', 'cart-1')).toMatchObject({
        fingerprint: 'abc123',
        state: { total: 6 },
      });
      expect((await store.get('Cart', 'cart-1'))!.fingerprint).toBeUndefined();
    } finally {
      await fresh.drop();
    }
  });
}

for (const [variant, options] of Object.entries(SCHEMA_VARIANTS)) {
  const tests = () => {
    variantTests(variant, options);
    snapshotOwnershipTest(variant, options);
    snapshotFingerprintTest(variant, options);
  };
  if (options.dialect === 'sqlite') describe(`event store schema: ${variant}`, tests);
  else await describeWithService(options.dialect, `event store schema: ${variant}`, tests);
}
