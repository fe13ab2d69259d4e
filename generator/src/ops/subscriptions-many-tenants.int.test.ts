import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AggregateRepository,
  migrateSubscriptionTables,
  SqlCheckpointStore,
  type AggregateClass,
  type StoredEvent,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from './project-code.js';
import { StoreInspector, SUBSCRIPTION_ROWS_AT_ONCE } from './store-inspector.js';

// `subscriptions()` on a store of many tenants, each with its own checkpoint: every row is right,
// and only a few rows' queries run at once (not one per tenant, all on the pool together).
const ROOT = join(import.meta.dirname, '../../..');
const TENANTS = Array.from({ length: 40 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);

describe('StoreInspector.subscriptions on a store of many tenants', () => {
  let dir: string;
  let code: ProjectCode;
  let filename: string;
  const checkpointAt = new Map<string, string>();

  beforeAll(async () => {
    const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    code = await loadProjectCode(config);
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-opsfix2-'));
    filename = join(dir, 'store.sqlite');
    const store = await SqliteEventStore.open({ filename, registry: code.registry, synchronous: 'NORMAL' });
    try {
      await migrateSubscriptionTables(store.db as never);
      const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<any>;
      const checkpoints = new SqlCheckpointStore(store.db);
      for (const tenant of TENANTS) {
        // Opened and one deposit; AccountSummary of the tenant has handled the opening only.
        await new AggregateRepository(store.forTenant(tenant), BankAccount).update(
          `${tenant}-account`,
          (a: any) => (a.open({ ownerName: tenant, initialDeposit: '1.00' }), a.deposit({ amount: '2.00' })),
          { create: true },
        );
        for await (const stored of store.forTenant(tenant).readAll({ limit: 1 })) {
          await checkpoints.forTenant(tenant).save('AccountSummary', stored.position);
          checkpointAt.set(tenant, stored.position.toString());
        }
      }
    } finally {
      await store.close();
    }
  }, 120_000);

  afterAll(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it(`reports every tenant's row, counting at most ${SUBSCRIPTION_ROWS_AT_ONCE} rows at once`, async () => {
    // Every read of the feed (each tenant's view is a SqliteEventStore too), counted while it runs.
    let reading = 0;
    let most = 0;
    const readAll = SqliteEventStore.prototype.readAll;
    vi.spyOn(SqliteEventStore.prototype, 'readAll').mockImplementation(function (
      this: SqliteEventStore,
      options?: Parameters<SqliteEventStore['readAll']>[0],
    ) {
      const events = readAll.call(this, options);
      return (async function* (): AsyncGenerator<StoredEvent> {
        most = Math.max(most, ++reading);
        try {
          yield* events;
        } finally {
          reading--;
        }
      })();
    });
    const inspector = await StoreInspector.open({ url: `sqlite:${filename}`, cwd: ROOT, code });
    try {
      const rows = await inspector.subscriptions();
      expect(rows.filter((r) => r.name === 'AccountSummary')).toEqual(
        TENANTS.map((tenant) =>
          expect.objectContaining({
            name: 'AccountSummary',
            tenantId: tenant,
            position: checkpointAt.get(tenant),
            lagEvents: 1,
            lagCapped: false,
          }),
        ),
      );
      expect(reading).toBe(0);
      expect(most).toBeGreaterThan(1); // still several at once
      expect(most).toBeLessThanOrEqual(SUBSCRIPTION_ROWS_AT_ONCE);
    } finally {
      await inspector.close();
    }
  });
});
