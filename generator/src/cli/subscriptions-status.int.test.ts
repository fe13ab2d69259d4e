import { join } from 'node:path';
import {
  AggregateRepository,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  streamIdFor,
  toEventRecord,
  type AggregateClass,
  type EventStore,
  type Kysely,
  type StoredEvent,
} from '@eventsmith/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { loadConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from '../ops/project-code.js';
import type { SubscriptionReport } from '../ops/store-inspector.js';
import { SQL_STORE_TARGETS, type SqlStoreTarget } from '../ops/test-support/sql-store-targets.js';
import { createStudioApp } from '../studio/studio-app.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { seedBankEvents, type BankSeed } from '../studio/test-support/seed-bank-store.js';
import { runCli } from './test-support/run-cli.js';

// `subscriptions status` on a multi-tenant store: each row is one subscription in one scope (the
// unscoped store's, or one tenant's), and its position, lag and dead letters are that scope's.
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(ROOT, 'eventsmith.config.yaml');
const SHOWN = ['AccountSummary', 'welcome-mail'];

function suite(target: SqlStoreTarget): void {
  let code: ProjectCode;
  let seed: BankSeed;
  let url: string;
  let store: EventStore & { db: Kysely<any> };
  let drop: () => Promise<void>;
  const at: Record<string, string> = {};

  const run = (...argv: string[]) => runCli(ROOT, ...argv, '--config', CONFIG);
  async function status(...argv: string[]): Promise<SubscriptionReport[]> {
    const result = await run('subscriptions', 'status', '--db', url, '--format', 'json', ...argv);
    expect({ status: result.status, err: result.err }).toEqual({ status: 0, err: '' });
    return (JSON.parse(result.out) as { subscriptions: SubscriptionReport[] }).subscriptions;
  }
  const row = (s: SubscriptionReport) => ({
    name: s.name,
    tenantId: s.tenantId,
    position: s.position,
    lagEvents: s.lagEvents,
    pending: s.deadLetters.pending,
    lastError: s.lastError?.message ?? null,
  });

  beforeAll(async () => {
    const loaded = await loadConfig(CONFIG);
    if (Array.isArray(loaded)) throw new Error(loaded.map((e) => e.message).join('\n'));
    code = await loadProjectCode(loaded);
    const created = await target.create(code.registry);
    ({ url, store, drop } = created);
    // AccountSummary: unscoped checkpoint at Alice's second event; pending dead letters of Bob's,
    // acme's and globex's first events (see the seed).
    seed = await seedBankEvents(store, code, ROOT);
    const first = async (streamId: string, version = 1): Promise<StoredEvent> => {
      for await (const stored of store.readStream(streamId, { from: version, limit: 1 })) return stored;
      throw new Error(`${streamId} has no version ${version}`);
    };
    at['alice2'] = (await first(seed.alice, 2)).position.toString();
    at['acme1'] = (await first(seed.acme)).position.toString();
    at['globex1'] = (await first(seed.globex)).position.toString();
    // AccountSummary also runs for tenant acme, caught up; welcome-mail runs per tenant only.
    const checkpoints = new SqlCheckpointStore(store.db);
    await checkpoints.forTenant('acme').save('AccountSummary', (await first(seed.acme)).position);
    await checkpoints.forTenant('acme').save('welcome-mail', (await first(seed.acme)).position);
    await checkpoints.forTenant('globex').save('welcome-mail', (await first(seed.globex)).position);
    // A deposit of globex's after its checkpoint, which welcome-mail parked: dead letters in one tenant.
    const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<any>;
    await new AggregateRepository(store.forTenant('globex'), BankAccount).update('globex-1', (a: any) =>
      a.deposit({ amount: '5.00', reference: 'late' }),
    );
    const deposit = await first(seed.globex, 2);
    await new SqlDeadLetterQueue(store.db).add({
      subscription: 'welcome-mail',
      eventId: deposit.event.eventId,
      eventType: deposit.event.eventType,
      streamId: streamIdFor('BankAccount', 'globex-1'),
      position: deposit.position,
      storedAt: deposit.storedAt,
      record: toEventRecord(deposit.event),
      error: 'Error: globex mail relay refused',
      attempts: 3,
    });
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('without --tenant, reports each subscription once per scope with that scope’s position, lag and dead letters', async () => {
    const all = await status();
    expect(all.filter((s) => SHOWN.includes(s.name)).map(row)).toEqual([
      // The unscoped AccountSummary reads every tenant's events; its dead letters are those of
      // events without a tenant and of tenants it has no checkpoint of its own for (globex).
      {
        name: 'AccountSummary',
        tenantId: null,
        position: at['alice2'],
        lagEvents: 7,
        pending: 2,
        lastError: 'Error: connection to the reporting database was reset',
      },
      {
        name: 'AccountSummary',
        tenantId: 'acme',
        position: at['acme1'],
        lagEvents: 0,
        pending: 1,
        lastError: 'Error: connection to the reporting database was reset',
      },
      { name: 'welcome-mail', tenantId: 'acme', position: at['acme1'], lagEvents: 0, pending: 0, lastError: null },
      {
        name: 'welcome-mail',
        tenantId: 'globex',
        position: at['globex1'],
        lagEvents: 1,
        pending: 1,
        lastError: 'Error: globex mail relay refused',
      },
    ]);
    // Every dead letter is counted once, in one row.
    const total = (await new SqlDeadLetterQueue(store.db).stats()).byStatus.pending;
    expect(all.reduce((sum, s) => sum + s.deadLetters.pending, 0)).toBe(total);

    const text = await run('subscriptions', 'status', '--db', url);
    expect(text.status).toBe(0);
    const lines = text.out.split('\n');
    expect(lines[0]).toMatch(/^name\s+tenant\s+kind\s+position\s/);
    expect(lines.filter((l) => l.startsWith('welcome-mail')).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['welcome-mail', 'acme'],
      ['welcome-mail', 'globex'],
    ]);
  });

  it("with --tenant, reports that tenant's scope only, its rows named with the tenant", async () => {
    expect((await status('--tenant', 'globex')).filter((s) => SHOWN.includes(s.name)).map(row)).toEqual([
      {
        name: 'AccountSummary',
        tenantId: 'globex',
        position: null,
        lagEvents: 2,
        pending: 1,
        lastError: 'Error: connection to the reporting database was reset',
      },
      {
        name: 'welcome-mail',
        tenantId: 'globex',
        position: at['globex1'],
        lagEvents: 1,
        pending: 1,
        lastError: 'Error: globex mail relay refused',
      },
    ]);
  });

  it("each row's dead-letter link lists exactly the dead letters the row counts, in the studio and the CLI", async () => {
    const inspector = await StoreInspector.open({ url, cwd: ROOT, code });
    try {
      const studio = createStudioApp({ inspector, allowWrites: false, domain: async () => [] });
      const get = async <T>(path: string): Promise<T> => {
        const response = await studio.request(path);
        expect(response.status).toBe(200);
        return (await response.json()) as T;
      };
      const rows = (await get<{ subscriptions: SubscriptionReport[] }>('/api/subscriptions')).subscriptions;
      const listed = new Map<string, string>();
      for (const row of rows) {
        // As the Subscriptions page links a row: its subscription, and its tenant or the unscoped store.
        const query = new URLSearchParams({ subscription: row.name, status: 'all' });
        if (row.tenantId === null) query.set('unscoped', 'true');
        else query.set('tenant', row.tenantId);
        const { deadLetters } = await get<{ deadLetters: { id: string; status: string }[] }>(
          `/api/dead-letters?${query}`,
        );
        const counted = row.deadLetters;
        expect({ row: [row.name, row.tenantId], listed: deadLetters.length }).toEqual({
          row: [row.name, row.tenantId],
          listed: counted.pending + counted.retrying + counted.resolved,
        });
        query.delete('status'); // the page's default: pending
        const pending = await get<{ deadLetters: unknown[] }>(`/api/dead-letters?${query}`);
        expect(pending.deadLetters).toHaveLength(counted.pending);
        for (const entry of deadLetters) {
          expect(listed.get(entry.id), `${entry.id} is listed by two rows`).toBeUndefined();
          listed.set(entry.id, `${row.name} ${row.tenantId}`);
        }
      }
      // Every dead letter is listed by one row; the unscoped AccountSummary's include globex's,
      // which has no AccountSummary checkpoint of its own.
      expect(listed.size).toBe((await new SqlDeadLetterQueue(store.db).stats()).total);
      expect(listed.get(seed.deadLetters[seed.globex]!)).toBe('AccountSummary null');
      expect(listed.get(seed.deadLetters[seed.acme]!)).toBe('AccountSummary acme');

      // The CLI lists the same: --tenant <id> a tenant's, --unscoped the unscoped store's rows'.
      const cli = async (...argv: string[]) => {
        const result = await run('dlq', 'list', '--db', url, '--format', 'json', ...argv);
        expect({ status: result.status, err: result.err }).toEqual({ status: 0, err: '' });
        return (JSON.parse(result.out) as { deadLetters: { id: string }[] }).deadLetters.map((d) => d.id);
      };
      const ids = (row: string) => [...listed].filter(([, r]) => r === row).map(([id]) => id);
      expect(await cli('--subscription', 'AccountSummary', '--unscoped')).toEqual(ids('AccountSummary null'));
      expect(await cli('--subscription', 'welcome-mail', '--tenant', 'globex')).toEqual(ids('welcome-mail globex'));
      const both = await run('dlq', 'list', '--db', url, '--unscoped', '--tenant', 'acme');
      expect(both.status).toBe(2);
      expect(both.err).toContain('--unscoped and --tenant ask for different dead letters');
    } finally {
      await inspector.close();
    }
  });

  it('the studio reports the same rows as the CLI', async () => {
    const inspector = await StoreInspector.open({ url, cwd: ROOT, code });
    try {
      const studio = createStudioApp({ inspector, allowWrites: false, domain: async () => [] });
      const body = (await (await studio.request('/api/subscriptions')).json()) as {
        subscriptions: SubscriptionReport[];
      };
      const cli = await status();
      expect(body.subscriptions.map(row)).toEqual(cli.map(row));
    } finally {
      await inspector.close();
    }
  });
}

for (const target of SQL_STORE_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `eventsmith subscriptions status on ${target.name}`, () => suite(target));
  else describe(`eventsmith subscriptions status on ${target.name}`, () => suite(target));
}
