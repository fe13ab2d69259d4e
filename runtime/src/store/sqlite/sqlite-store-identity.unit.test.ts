import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { storeIdentityCases, type IdentityDatabases } from '../../test-support/store-identity-cases.js';
import { migrateEventStore } from '../sql/migrate-event-store.js';
import { SqliteStoreDialect } from './sqlite-dialect.js';
import { SqliteEventStore } from './sqlite-event-store.js';

describe('SQLite: the store id a database file keeps', () => {
  let databases: IdentityDatabases | undefined;
  afterEach(async () => {
    await databases?.cleanup();
    databases = undefined;
  });

  storeIdentityCases(() => {
    const dir = mkdtempSync(join(tmpdir(), 'es-storeid-'));
    let files = 0;
    const next = () => join(dir, `shop-${++files}.db`);
    databases = {
      dialect: 'sqlite',
      create: async () => next(),
      copy: async (from) => {
        const to = next();
        copyFileSync(from, to);
        if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`);
        return to;
      },
      open: (filename, options = {}) => SqliteEventStore.open({ filename, registry: counterRegistry, ...options }),
      derivedId: (filename) => `sqlite:${basename(filename)}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
    return databases;
  });

  it('migrateEventStore keeps its storeId option, or else the id from the file name, for the store to open with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-storeid-'));
    try {
      for (const [file, options, expected] of [
        ['ledger.db', { storeId: 'ledger-events' }, 'ledger-events'],
        ['orders.db', {}, 'sqlite:orders.db'],
      ] as const) {
        const filename = join(dir, file);
        const database = new BetterSqlite3(filename);
        const db = new Kysely<any>({ dialect: new SqliteStoreDialect({ database }) });
        await migrateEventStore(db, { dialect: 'sqlite', ...options });
        await db.destroy();
        database.close();
        const copy = join(dir, `copy-of-${file}`);
        copyFileSync(filename, copy);
        const store = await SqliteEventStore.open({ filename: copy, registry: counterRegistry, migrate: false });
        expect(store.storeId).toBe(expected);
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
