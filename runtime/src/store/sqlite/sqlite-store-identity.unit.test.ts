import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe } from 'vitest';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { storeIdentityCases, type IdentityDatabases } from '../../test-support/store-identity-cases.js';
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
});
