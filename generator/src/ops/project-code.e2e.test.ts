import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
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
});
