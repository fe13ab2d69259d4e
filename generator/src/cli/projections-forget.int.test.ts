import { join } from 'node:path';
import {
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  SubscriptionTable,
  type EventStore,
  type Kysely,
  type StoredEvent,
} from '@eventsmith/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { loadConfig } from '../config/config.js';
import { loadProjectCode } from '../ops/project-code.js';
import { SQL_STORE_TARGETS, type SqlStoreTarget } from '../ops/test-support/sql-store-targets.js';
import { seedBankEvents, type BankSeed } from '../studio/test-support/seed-bank-store.js';
import { runCli } from './test-support/run-cli.js';

// `eventsmith projections forget` on each SQL store the CLI opens: what the database keeps of a
// projection the project no longer has goes; a projection the project has is refused.
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(ROOT, 'eventsmith.config.yaml');

function suite(target: SqlStoreTarget): void {
  let seed: BankSeed;
  let url: string;
  let store: EventStore & { db: Kysely<any> };
  let drop: () => Promise<void>;

  const run = (...argv: string[]) => runCli(ROOT, ...argv, '--db', url, '--config', CONFIG);
  const statusNames = async () => {
    const result = await run('subscriptions', 'status', '--format', 'json');
    expect(result.status).toBe(0);
    return (JSON.parse(result.out) as { subscriptions: { name: string }[] }).subscriptions.map((s) => s.name);
  };

  beforeAll(async () => {
    const config = await loadConfig(CONFIG);
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    const code = await loadProjectCode(config);
    ({ url, store, drop } = await target.create(code.registry, 'es_forget'));
    seed = await seedBankEvents(store, code, ROOT);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('removes the checkpoints, expired lease, dead letter and rebuild mark of a removed projection, and nothing else', async () => {
    // RetiredTotals, since removed from the project, ran unscoped and for tenant acme.
    let first: StoredEvent | undefined;
    for await (const stored of store.readStream(seed.bob, { limit: 1 })) first = stored;
    const checkpoints = new SqlCheckpointStore(store.db);
    await checkpoints.save('RetiredTotals', first!.position);
    await checkpoints.forTenant('acme').save('RetiredTotals', first!.position);
    const parked = await new SqlDeadLetterQueue(store.db).get(seed.deadLetters[seed.bob]!);
    await new SqlDeadLetterQueue(store.db).add({ ...parked!, subscription: 'RetiredTotals' });
    await store.db
      .insertInto(SubscriptionTable.leases)
      .values({ tenant_id: '', name: 'RetiredTotals', owner: 'a-process-that-died', expires_at: 1, acquired_at: 0 })
      .execute();
    await store.db
      .insertInto(SubscriptionTable.pendingRebuilds)
      .values({ projection: 'RetiredTotals', migration: '0003_recreate_retired_totals', marked_at: 0 })
      .execute();
    expect(await statusNames()).toContain('RetiredTotals');

    const refused = await run('projections', 'forget', 'AccountSummary', '--format', 'json');
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.out).errors[0].code).toBe('OPS.STILL_DEFINED');

    const forgot = await run('projections', 'forget', 'RetiredTotals', '--format', 'json');
    expect({ status: forgot.status, err: forgot.err }).toEqual({ status: 0, err: '' });
    expect(JSON.parse(forgot.out)).toEqual({
      name: 'RetiredTotals',
      tenantId: null,
      checkpoints: 2,
      leases: 1,
      deadLetters: 1,
      pendingRebuild: true,
    });
    expect(await statusNames()).not.toContain('RetiredTotals');
    expect(await statusNames()).toContain('AccountSummary');
    const deadLetters = await run('dlq', 'list', '--format', 'json');
    const subscriptions = (JSON.parse(deadLetters.out) as { deadLetters: { subscription: string }[] }).deadLetters.map(
      (e) => e.subscription,
    );
    expect(subscriptions).not.toContain('RetiredTotals');
    expect(subscriptions).toContain('AccountSummary');
  });
}

for (const target of SQL_STORE_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `eventsmith projections forget on ${target.name}`, () => suite(target));
  else describe(`eventsmith projections forget on ${target.name}`, () => suite(target));
}
