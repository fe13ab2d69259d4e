import { join } from 'node:path';
import type { EventStore, Kysely } from '@eventsmith/runtime';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { loadConfig } from '../config/config.js';
import { loadProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { SQL_STORE_TARGETS, type SqlStoreTarget } from '../ops/test-support/sql-store-targets.js';
import { createStudioApp } from './studio-app.js';
import { readLiveFeed } from './test-support/read-live-feed.js';
import { seedBankEvents } from './test-support/seed-bank-store.js';

// What the studio answers when a request or the store goes wrong, the same on each SQL store.
const ROOT = join(import.meta.dirname, '../../..');

interface Problem {
  error: { code: string; message: string; fix: string };
}

function suite(target: SqlStoreTarget): void {
  let store: EventStore & { db: Kysely<any> };
  let drop: () => Promise<void>;
  let inspector: StoreInspector;
  const logged: string[] = [];
  const request = async (path: string) => {
    const app = createStudioApp({ inspector, allowWrites: false, domain: async () => [], log: (l) => logged.push(l) });
    const response = await app.request(path);
    return { status: response.status, body: (await response.json()) as Problem };
  };

  beforeAll(async () => {
    const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    const code = await loadProjectCode(config);
    const created = await target.create(code.registry);
    store = created.store;
    drop = created.drop;
    await seedBankEvents(store, code, ROOT);
    inspector = await StoreInspector.open({ url: created.url, cwd: ROOT, code });
  }, 120_000);

  afterAll(async () => {
    await inspector?.close();
    await store?.close();
    await drop?.();
  });

  it('answers a feed position of another store with 400 STUDIO.POSITION, not as a bug', async () => {
    const foreign = await request('/api/feed?after=pg:elsewhere@5');
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('STUDIO.POSITION');
    expect(foreign.body.error.message).toContain('elsewhere');
  });

  it('answers 503 with the store error, not the driver text, when the store loses its tables while it runs', async () => {
    await sql`DROP TABLE eventsmith_checkpoints`.execute(store.db);
    const gone = await request('/api/subscriptions');
    expect(gone.status).toBe(503);
    expect(gone.body.error.code).toBe('STORE.UNAVAILABLE');
    expect(gone.body.error.message).toContain('is not migrated');
    expect(gone.body.error.message).not.toMatch(/no such table|doesn't exist|does not exist/);
    expect(logged).toEqual([]);
  });

  it('sends the live feed an error event with the store error, then ends it, when the store loses its events table', async () => {
    const app = createStudioApp({
      inspector,
      allowWrites: false,
      domain: async () => [],
      log: (l) => logged.push(l),
      pollMs: 20,
    });
    let dropped: Promise<unknown> | undefined;
    // From the start: every event, then idle; the table goes while the feed polls, and the
    // stream is read to its end.
    const messages = await readLiveFeed(app, '/api/feed/live?from=start', {
      until: (m) => {
        if (m.event === 'idle') dropped ??= sql`DROP TABLE eventsmith_events`.execute(store.db);
        return false;
      },
    });
    await dropped;
    const events = messages.filter((m) => m.event === 'event');
    expect(events).toHaveLength(8);
    const error = messages.at(-1)!;
    expect(error.event).toBe('error');
    const body = JSON.parse(error.data) as {
      error: { code: string; message: string; fix: string };
      retryable: boolean;
    };
    expect(body.error.code).toBe('STORE.UNAVAILABLE');
    expect(body.error.message).toContain('is not migrated');
    expect(body.error.message).not.toMatch(/no such table|doesn't exist|does not exist/);
    expect(body.retryable).toBe(false);
    expect(error.retry).toBe('30000');
    expect(error.id).toBe(events.at(-1)!.id); // a reconnect resumes after the last event sent
    expect(logged).toEqual([]);
  });
}

for (const target of SQL_STORE_TARGETS) {
  if (target.service) await describeWithService(target.service, `studio errors on ${target.name}`, () => suite(target));
  else describe(`studio errors on ${target.name}`, () => suite(target));
}
