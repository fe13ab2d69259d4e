import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateRepository, migrateSubscriptionTables, SqlCheckpointStore } from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { InventoryItem } from '../../../examples/shop/src/aggregates/inventory-item.js';
import type { EventsmithConfig } from '../config/config.js';
import { loadProjectCode } from './project-code.js';
import { StoreInspector } from './store-inspector.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('loadProjectCode with custom projection handlers written as a factory', () => {
  let dir: string;
  let config: EventsmithConfig;

  beforeAll(async () => {
    // The shop's generated code, with a userDir whose CustomerStats handlers are a factory of the
    // app's dependencies (as FORMAT.md shows) and whose DailyRevenue handlers are an object.
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-project-code-'));
    await mkdir(join(dir, 'src', 'projections'), { recursive: true });
    await writeFile(
      join(dir, 'src', 'projections', 'customer-stats.ts'),
      `export const received: unknown[] = [];
export function customerStatsHandlers(dependencies: { db: unknown; store: unknown; services: unknown }) {
  received.push(dependencies);
  return { async OrderCancelled() {} };
}
`,
    );
    await writeFile(
      join(dir, 'src', 'projections', 'daily-revenue.ts'),
      `export const dailyRevenueHandlers = { async PaymentCaptured() {}, async PaymentRefunded() {} };\n`,
    );
    config = {
      file: join(ROOT, 'eventsmith.config.yaml'),
      root: ROOT,
      domains: [
        { input: ['examples/shop/domain'], output: 'generated/shop', userDir: relative(ROOT, join(dir, 'src')) },
      ],
    };
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('loads, and the inspector builds the projections with its store as the dependencies', async () => {
    const code = await loadProjectCode(config);
    const file = join(dir, 'shop.db');
    await (await SqliteEventStore.open({ filename: file, registry: code.registry })).close();
    const inspector = await StoreInspector.open({ url: `sqlite:${file}`, cwd: dir, code });
    try {
      expect(inspector.projectionNames).toContain('CustomerStats');
      const { received } = (await import(join(dir, 'src', 'projections', 'customer-stats.ts'))) as {
        received: { db: unknown; store: unknown; services: unknown }[];
      };
      expect(received.at(-1)?.services).toEqual({});
      expect(received.at(-1)?.db).toBeDefined();
      expect(received.at(-1)?.store).toBeDefined();
    } finally {
      await inspector.close();
    }
  });

  it("knows each reaction's events, so its lag counts only those", async () => {
    const code = await loadProjectCode(config);
    expect(code.reactions?.get('ReserveStock')).toEqual(['OrderPlaced']);
    const file = join(dir, 'reactions.db');
    const store = await SqliteEventStore.open({ filename: file, registry: code.registry });
    try {
      await migrateSubscriptionTables(store.db);
      const items = new AggregateRepository(store, InventoryItem);
      await items.update('SKU-1', (item) => item.receive({ quantity: 3 }), { create: true });
      for await (const stored of store.readAll())
        await new SqlCheckpointStore(store.db).save('ReserveStock', stored.position);
      await items.update('SKU-1', (item) => item.receive({ quantity: 2 }));
    } finally {
      await store.close();
    }
    const inspector = await StoreInspector.open({ url: `sqlite:${file}`, cwd: dir, code });
    try {
      const reaction = (await inspector.subscriptions()).find((s) => s.name === 'ReserveStock');
      expect(reaction?.lagEvents).toBe(0); // StockReceived is not an event ReserveStock handles
    } finally {
      await inspector.close();
    }
  });
});
