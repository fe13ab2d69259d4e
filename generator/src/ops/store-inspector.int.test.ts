import { join } from 'node:path';
import { DeadLetterEntryNotFoundError, Position, SqlCheckpointStore, type Kysely } from '@eventsmith/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { loadConfig } from '../config/config.js';
import { seedBankEvents, type BankSeed } from '../studio/test-support/seed-bank-store.js';
import { loadProjectCode, type ProjectCode } from './project-code.js';
import { StoreInspector, StreamNotVisibleError } from './store-inspector.js';
import { SQL_STORE_TARGETS, type SqlStoreTarget } from './test-support/sql-store-targets.js';

// The inspector's queries on each SQL store: the same seed, the same answers.
const ROOT = join(import.meta.dirname, '../../..');

function suite(target: SqlStoreTarget): void {
  let code: ProjectCode;
  let seed: BankSeed;
  let url: string;
  let drop: () => Promise<void>;
  let inspector: StoreInspector;
  let acme: StoreInspector;

  beforeAll(async () => {
    const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    code = await loadProjectCode(config);
    const created = await target.create(code.registry);
    url = created.url;
    drop = created.drop;
    try {
      seed = await seedBankEvents(created.store, code, ROOT);
    } finally {
      await created.store.close();
    }
    inspector = await StoreInspector.open({ url, cwd: ROOT, code });
    acme = await StoreInspector.open({ url, cwd: ROOT, code, tenantId: 'acme' });
  }, 120_000);

  afterAll(async () => {
    await inspector?.close();
    await acme?.close();
    await drop?.();
  });

  it('lists streams by id, aggregate type, search text (wildcards taken literally) and tenant', async () => {
    const all = await inspector.streams({});
    expect(all.streams.map((s) => s.streamId)).toEqual([seed.acme, seed.alice, seed.bob, seed.globex]);
    expect(all.streams.find((s) => s.streamId === seed.alice)).toMatchObject({
      aggregateType: 'BankAccount',
      aggregateId: 'alice',
      version: 4,
      tenantId: null,
    });
    expect((await inspector.streams({ search: 'ali' })).streams.map((s) => s.streamId)).toEqual([seed.alice]);
    expect((await inspector.streams({ search: 'e_1' })).streams).toEqual([]); // `_` is not a wildcard
    expect((await inspector.streams({ search: '%' })).streams).toEqual([]);
    expect((await inspector.streams({ aggregateType: 'Order' })).streams).toEqual([]);
    expect((await inspector.streams({ tenantId: 'globex' })).streams.map((s) => s.streamId)).toEqual([seed.globex]);
    const page = await inspector.streams({ limit: 3 });
    expect(page.more).toBe(true);
    expect((await inspector.streams({ limit: 3, offset: 3 })).streams.map((s) => s.streamId)).toEqual([seed.globex]);
    expect(await inspector.tenants()).toEqual(['acme', 'globex']);
  });

  it('reads a timeline with the causation chain across streams', async () => {
    const alice = await inspector.timeline(seed.alice);
    expect(alice.map((e) => [e.version, e.eventType])).toEqual([
      [1, 'AccountOpened'],
      [2, 'MoneyDeposited'],
      [3, 'MoneyDeposited'],
      [4, 'MoneyWithdrawn'],
    ]);
    expect(alice[3]!.caused).toEqual([
      expect.objectContaining({ streamId: seed.bob, version: 2, eventType: 'MoneyDeposited' }),
    ]);
    const bob = await inspector.timeline(seed.bob);
    expect(bob[1]!.cause).toEqual(
      expect.objectContaining({ streamId: seed.alice, version: 4, eventId: alice[3]!.eventId }),
    );
    expect(bob[1]!.correlationId).toBe(alice[3]!.correlationId);
    await expect(inspector.timeline('BankAccount-nobody')).rejects.toThrow(StreamNotVisibleError);
  });

  it('rebuilds the state at each version with the aggregate class', async () => {
    const states = await inspector.history(seed.alice);
    expect(states.map((s) => s.version)).toEqual([0, 1, 2, 3, 4]);
    expect(states[0]!.state).toMatchObject({ status: 'pending' });
    expect(states[2]!.state).toMatchObject({ ownerName: 'Alice', balance: '125.5', status: 'open' });
    expect(states[2]!.diff.filter((l) => l.kind !== 'same').map((l) => l.text.trim())).toEqual([
      '"balance": "100.00",',
      '"balance": "125.5",',
    ]);
    expect((await inspector.history(seed.alice, 1)).map((s) => s.version)).toEqual([0, 1]);
    expect(await inspector.stateAt(seed.alice, 2)).toEqual(states[2]);
    expect(await inspector.stateAt(seed.alice, 0)).toEqual(states[0]);
    expect((await inspector.stateAt(seed.alice, 99)).version).toBe(4);
  });

  it('reports checkpoints with their lag, and the feed from a position', async () => {
    const summary = (await inspector.subscriptions()).find((s) => s.name === 'AccountSummary')!;
    expect(summary).toMatchObject({
      projection: true,
      lagEvents: 6,
      lagCapped: false,
      deadLetters: { pending: 3, retrying: 0, resolved: 0 },
    });
    expect(summary.lagSeconds).toBeGreaterThanOrEqual(0);
    expect(summary.throughput).toBeNull(); // nothing to compare with yet
    expect(summary.lastError?.message).toBe('Error: connection to the reporting database was reset');
    const feed = await inspector.feed(null, 100);
    expect(feed).toHaveLength(8);
    expect(await inspector.feed(feed[5]!.position)).toEqual(feed.slice(6));
    expect(await inspector.head()).toBe(feed[7]!.position);

    // The projection moves on by 3 events: the next report has a throughput.
    const checkpoints = new SqlCheckpointStore((inspector.store as unknown as { db: Kysely<any> }).db);
    await checkpoints.save('AccountSummary', Position.parse(feed[4]!.position));
    const moved = (await inspector.subscriptions()).find((s) => s.name === 'AccountSummary')!;
    expect(moved.lagEvents).toBe(3);
    expect(moved.throughput).toBeGreaterThan(0);
    const still = (await inspector.subscriptions()).find((s) => s.name === 'AccountSummary')!;
    expect(still.throughput).toBe(0);
  });

  it("keeps a tenant's inspector within its tenant", async () => {
    expect((await acme.streams({})).streams.map((s) => s.streamId)).toEqual([seed.acme]);
    expect((await acme.streams({ tenantId: 'globex' })).streams.map((s) => s.streamId)).toEqual([seed.acme]);
    expect(await acme.tenants()).toEqual(['acme']);
    await expect(acme.timeline(seed.globex)).rejects.toThrow(StreamNotVisibleError);
    await expect(acme.history(seed.alice)).rejects.toThrow(StreamNotVisibleError);
    expect((await acme.feed(null)).map((e) => e.streamId)).toEqual([seed.acme]);
    expect((await acme.deadLetters()).map((d) => d.streamId)).toEqual([seed.acme]);
    await expect(acme.deadLetter(seed.deadLetters[seed.globex]!)).rejects.toThrow(DeadLetterEntryNotFoundError);
    await expect(acme.resolveDeadLetter(seed.deadLetters[seed.globex]!)).rejects.toThrow(DeadLetterEntryNotFoundError);
    expect((await inspector.deadLetter(seed.deadLetters[seed.globex]!)).status).toBe('pending');
  });

  it('retries a dead letter through the generated projection and resolves another', async () => {
    expect(await inspector.retryDeadLetter(seed.deadLetters[seed.bob]!, 'test')).toBe('resolved');
    expect(await inspector.deadLetter(seed.deadLetters[seed.bob]!)).toMatchObject({
      status: 'resolved',
      resolvedBy: 'test',
    });
    const rows = await (inspector.store as unknown as { db: Kysely<any> }).db
      .selectFrom('account_summary')
      .select(['account_id', 'owner_name'])
      .execute();
    expect(rows).toEqual([{ account_id: 'bob', owner_name: 'Bob' }]);
    await acme.resolveDeadLetter(seed.deadLetters[seed.acme]!, 'ops');
    expect((await inspector.deadLetters({ status: 'pending' })).map((d) => d.streamId)).toEqual([seed.globex]);
  });
}

for (const target of SQL_STORE_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `StoreInspector on ${target.name}`, () => suite(target));
  else describe(`StoreInspector on ${target.name}`, () => suite(target));
}
