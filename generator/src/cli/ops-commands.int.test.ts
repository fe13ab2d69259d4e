import { join } from 'node:path';
import {
  AggregateRepository,
  SqlDeadLetterQueue,
  toEventRecord,
  type AggregateClass,
  type EventStore,
  type Kysely,
} from '@eventsmith/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { loadConfig, type EventsmithConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { SQL_STORE_TARGETS, type SqlStoreTarget } from '../ops/test-support/sql-store-targets.js';
import { createStudioApp } from '../studio/studio-app.js';
import { seedBankEvents, type BankSeed } from '../studio/test-support/seed-bank-store.js';
import { runOps } from './ops-commands.js';
import { captureIo, runCli } from './test-support/run-cli.js';

// The operations commands on each SQL store the CLI opens (`events tail` and `--follow`, dead-letter
// ids), and the studio's dead-letter lookup: the same seed, the same answers.
const ROOT = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(ROOT, 'eventsmith.config.yaml');

interface TailedEvent {
  readonly streamId: string;
  readonly version: number;
  readonly position: string;
  readonly tenantId: string | null;
}

function suite(target: SqlStoreTarget): void {
  let config: EventsmithConfig;
  let code: ProjectCode;
  let seed: BankSeed;
  let url: string;
  let store: EventStore & { db: Kysely<any> };
  let drop: () => Promise<void>;

  const run = (...argv: string[]) => runCli(ROOT, ...argv, '--config', CONFIG);
  async function tail(...argv: string[]): Promise<TailedEvent[]> {
    const result = await run('events', 'tail', '--db', url, '--format', 'json', ...argv);
    expect({ status: result.status, err: result.err }).toEqual({ status: 0, err: '' });
    return (JSON.parse(result.out) as { events: TailedEvent[] }).events;
  }

  beforeAll(async () => {
    const loaded = await loadConfig(CONFIG);
    if (Array.isArray(loaded)) throw new Error(loaded.map((e) => e.message).join('\n'));
    config = loaded;
    code = await loadProjectCode(config);
    const created = await target.create(code.registry);
    ({ url, store, drop } = created);
    seed = await seedBankEvents(store, code, ROOT);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await drop?.();
  });

  it('events tail prints the last events of the feed in feed order, for any --limit', async () => {
    const feed: TailedEvent[] = [];
    for await (const stored of store.readAll())
      feed.push({
        streamId: stored.streamId,
        version: stored.streamVersion,
        position: stored.position.toString(),
        tenantId: stored.event.tenantId ?? null,
      });
    expect(feed).toHaveLength(8);
    const view = (e: TailedEvent) => ({ streamId: e.streamId, version: e.version, position: e.position });
    expect((await tail()).map(view)).toEqual(feed.map(view)); // the default, 20, is more than there are
    expect((await tail('--limit', '2')).map(view)).toEqual(feed.slice(-2).map(view));
    expect((await tail('--limit', '5')).map(view)).toEqual(feed.slice(-5).map(view));
    expect((await tail('--limit', '8')).map(view)).toEqual(feed.map(view));
    expect((await tail('--limit', '20')).map(view)).toEqual(feed.map(view));
    const acme = feed.filter((e) => e.tenantId === 'acme').map(view);
    expect((await tail('--tenant', 'acme', '--limit', '3')).map(view)).toEqual(acme);

    const text = await run('events', 'tail', '--db', url, '--limit', '2');
    expect(text.status).toBe(0);
    const lines = text.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${seed.globex}@1`);
  });

  it('events tail --follow prints the last events, then each event appended after it started', async () => {
    const captured = captureIo(ROOT);
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const following = runOps(
      captured.io,
      config,
      {
        command: 'events',
        positionals: ['tail'],
        flags: new Map<string, string | true>([
          ['db', url],
          ['limit', '2'],
          ['follow', true],
        ]),
        format: 'text',
      },
      () => stopped,
    );
    let settled = false;
    void following.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Wait for it to print the tail and start following (or to fail), then append.
    while (!settled && !captured.err().includes('following the feed')) await pause();
    if (settled) await following; // a failure, thrown here
    expect(captured.err()).toBe('eventsmith: following the feed; press Ctrl-C to stop.\n');
    const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<any>;
    await new AggregateRepository(store, BankAccount).update(
      'carol',
      (a: any) => a.open({ ownerName: 'Carol', initialDeposit: '1.00' }),
      { create: true },
    );
    while (!settled && !captured.out().includes('BankAccount-carol@1')) await pause();
    stop();
    expect(await following).toBe(0);
    const lines = captured.out().trimEnd().split('\n');
    expect(lines.map((l) => /\s(\S+@\d+)\s/.exec(l)?.[1])).toEqual([
      `${seed.acme}@1`,
      `${seed.globex}@1`,
      'BankAccount-carol@1',
    ]);
  });

  it('dlq retry and resolve of an id no entry can have say it is not found, as the studio does', async () => {
    for (const [sub, id] of [
      ['retry', 'xyz'],
      ['resolve', 'xyz'],
      ['retry', '99999999999999999999999'],
      ['resolve', '99999999999999999999999'],
    ] as const) {
      const result = await run('dlq', sub, id, '--db', url);
      expect({ sub, id, status: result.status, internal: /internal error|bigint/i.test(result.err) }).toEqual({
        sub,
        id,
        status: 1,
        internal: false,
      });
      expect(result.err).toContain(`Dead-letter entry ${id} does not exist`);
      expect(result.err).toContain('[DLQ.NOT_FOUND]');
      expect(result.err).toContain('eventsmith dlq list --db <url>');
    }
    const inspector = await StoreInspector.open({ url, cwd: ROOT, code });
    try {
      const studio = createStudioApp({ inspector, allowWrites: true, domain: async () => [] });
      for (const id of ['xyz', '99999999999999999999999']) {
        const response = await studio.request(`/api/dead-letters/${id}`);
        expect(response.status).toBe(404);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error).toMatchObject({
          code: 'STUDIO.NOT_FOUND',
          message: `Dead-letter entry ${id} does not exist (it may have been purged).`,
        });
      }
      // A real entry is still found.
      expect((await studio.request(`/api/dead-letters/${seed.deadLetters[seed.bob]}`)).status).toBe(200);
    } finally {
      await inspector.close();
    }
  });

  it("dlq retry of an insert whose row exists prints the projection's typed error with the upsert fix, once prefixed", async () => {
    const id = seed.deadLetters[seed.bob]!;
    // The first retry writes Bob's summary row; the event parked again then inserts it a second time.
    expect((await run('dlq', 'retry', id, '--db', url)).status).toBe(0);
    for await (const stored of store.readStream(seed.bob, { limit: 1 }))
      await new SqlDeadLetterQueue(store.db).add({
        subscription: 'AccountSummary',
        eventId: stored.event.eventId,
        eventType: stored.event.eventType,
        streamId: seed.bob,
        position: stored.position,
        storedAt: stored.storedAt,
        record: toEventRecord(stored.event),
        error: 'Error: parked again',
        stack: null,
        attempts: 1,
      });
    const text = await run('dlq', 'retry', id, '--db', url);
    expect(text.status).toBe(1);
    const line = text.out.split('\n')[1]!;
    expect(line).toMatch(
      /^ {2}error: ProjectionRowExistsError: Projection "AccountSummary" cannot insert into table "account_summary": a row with key account_id = "bob" already exists\. /,
    );
    expect(line).toContain('use `upsert` instead of `insert`');
    const retried = await run('dlq', 'retry', id, '--db', url, '--format', 'json');
    expect(JSON.parse(retried.out)).toMatchObject({ outcome: 'failed', error: line.slice('  error: '.length) });
  });
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

for (const target of SQL_STORE_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `eventsmith operations commands on ${target.name}`, () => suite(target));
  else describe(`eventsmith operations commands on ${target.name}`, () => suite(target));
}
