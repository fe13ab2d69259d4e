import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlLeaseLock, type StoredEvent } from '@eventsmith/runtime';
import { Kysely, SqliteDialect } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { seedBankStore, type BankSeed } from '../studio/test-support/seed-bank-store.js';
import { runCli } from './test-support/run-cli.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(ROOT, 'eventsmith.config.yaml');

const run = (...argv: string[]) => runCli(ROOT, ...argv, '--config', CONFIG);

/** Runs with --format json and parses stdout, which must be nothing but JSON. */
async function json<T = any>(...argv: string[]): Promise<{ status: number; body: T }> {
  const result = await run(...argv, '--format', 'json');
  return { status: result.status, body: JSON.parse(result.out) as T };
}

describe('operations commands on an SQLite store of the bank example', () => {
  let dir: string;
  let db: string;
  let seed: BankSeed;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-ops-'));
    const file = join(dir, 'bank.db');
    db = `sqlite:${file}`;
    const config = await loadConfig(CONFIG);
    if (Array.isArray(config)) throw new Error(`The repository's config is invalid: ${JSON.stringify(config)}`);
    seed = await seedBankStore(file, await loadProjectCode(config), ROOT);
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('events tail prints the last events of the feed, oldest first, as text or JSON', async () => {
    const { status, body } = await json<{ events: { streamId: string; position: string }[] }>(
      'events',
      'tail',
      '--db',
      db,
      '--limit',
      '3',
    );
    expect(status).toBe(0);
    expect(body.events).toHaveLength(3);
    expect(body.events.at(-1)!.streamId).toBe(seed.globex);
    const all = await json<{ events: { position: string }[] }>('events', 'tail', '--db', db, '--limit', '100');
    expect(all.body.events.slice(-3)).toEqual(body.events);

    const text = await run('events', 'tail', '--db', db, '--limit', '2');
    expect(text.status).toBe(0);
    const lines = text.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${seed.globex}@1`);
    expect(text.out).not.toContain('\u001b[');
  });

  it("events tail --tenant shows only that tenant's events", async () => {
    const { body } = await json<{ events: { tenantId: string | null }[] }>(
      'events',
      'tail',
      '--db',
      db,
      '--tenant',
      'acme',
    );
    expect(body.events.length).toBeGreaterThan(0);
    expect(body.events.every((e) => e.tenantId === 'acme')).toBe(true);
  });

  it('events show lists a stream with its causation links, and --at gives the state at a version', async () => {
    const timeline = await json<{ events: { version: number; eventType: string; caused: { streamId: string }[] }[] }>(
      'events',
      'show',
      seed.alice,
      '--db',
      db,
    );
    expect(timeline.status).toBe(0);
    expect(timeline.body.events.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    expect(timeline.body.events[3]!.caused.map((c) => c.streamId)).toEqual([seed.bob]);

    const at = await json<{ version: number; state: { balance: string }; diff: { kind: string }[] }>(
      'events',
      'show',
      seed.alice,
      '--at',
      '2',
      '--db',
      db,
    );
    expect(at.status).toBe(0);
    expect(at.body.version).toBe(2);
    expect(Number(at.body.state.balance)).toBe(125.5);
    expect(at.body.diff.some((d) => d.kind === 'added')).toBe(true);

    const text = await run('events', 'show', seed.alice, '--at', '2', '--db', db);
    expect(text.out).toContain(`${seed.alice} at version 2`);
    expect(text.out).toMatch(/^\+ .*balance/m);

    const beyond = await run('events', 'show', seed.alice, '--at', '9', '--db', db);
    expect(beyond.status).toBe(1);
    expect(beyond.err).toContain('[OPS.NO_SUCH_VERSION]');
  });

  it('a store that is not there is a user error (exit 1 with a fix), as text or JSON, not an internal one', async () => {
    const missing = join(dir, 'missing.db');
    const text = await run('events', 'tail', '--db', `sqlite:${missing}`);
    expect(text.status).toBe(1);
    expect(text.err).toContain(`There is no SQLite database at ${missing}.`);
    expect(text.err).toContain('[OPS.NO_DATABASE]');
    expect(text.err).not.toContain('internal error');
    const { status, body } = await json('subscriptions', 'status', '--db', `sqlite:${missing}`);
    expect(status).toBe(1);
    expect(body.errors[0].code).toBe('OPS.NO_DATABASE');
  });

  it('a database not migrated yet says to run eventsmith migrate, not to check that the database is running', async () => {
    const file = join(dir, 'unmigrated.db');
    new BetterSqlite3(file).close(); // an empty SQLite file: no eventsmith tables
    const { status, body } = await json('subscriptions', 'status', '--db', `sqlite:${file}`);
    expect(status).toBe(1);
    expect(body.errors[0]).toMatchObject({ code: 'OPS.CONNECT' });
    expect(body.errors[0].message).toContain('is not migrated');
    expect(body.errors[0].fix).toMatch(/^Run `eventsmith migrate --db <url>` against this database first/);
  });

  it('events show of an unknown stream, or of another tenant, is a clear error', async () => {
    const missing = await run('events', 'show', 'BankAccount-nobody', '--db', db);
    expect(missing.status).toBe(1);
    expect(missing.err).toContain('There is no stream "BankAccount-nobody".');
    expect(missing.err).toContain('fix:');
    expect(missing.err).not.toMatch(/\n\s+at .*\.ts:\d+/);
    const foreign = await run('events', 'show', seed.acme, '--db', db, '--tenant', 'globex');
    expect(foreign.status).toBe(1);
    expect(foreign.err).toContain('[OPS.STREAM_NOT_FOUND]');
  });

  it('subscriptions status reports the checkpoint, lag and dead letters of each projection', async () => {
    const { status, body } = await json<{
      subscriptions: { name: string; lagEvents: number; deadLetters: { pending: number } }[];
    }>('subscriptions', 'status', '--db', db);
    expect(status).toBe(0);
    const summary = body.subscriptions.find((s) => s.name === 'AccountSummary')!;
    expect(summary.lagEvents).toBeGreaterThan(0);
    expect(summary.deadLetters.pending).toBeGreaterThanOrEqual(1);
    const text = await run('subscriptions', 'status', '--db', db);
    expect(text.out.split('\n')[0]).toMatch(/^name\s+kind\s+position\s+lag \(events\)/);
    expect(text.out).toContain('AccountSummary');
  });

  it('subscriptions status reads on from the checkpoints of a copy of the database under another file name', async () => {
    const copy = join(dir, 'bank-restored.db');
    await copyFile(db.slice('sqlite:'.length), copy);
    type Status = { subscriptions: { name: string; position: string | null; lagEvents: number }[] };
    const original = await json<Status>('subscriptions', 'status', '--db', db);
    const restored = await json<Status>('subscriptions', 'status', '--db', `sqlite:${copy}`);
    expect(restored.status).toBe(0);
    const summary = restored.body.subscriptions.find((s) => s.name === 'AccountSummary')!;
    expect(summary.position).toMatch(/^sqlite:bank\.db@\d+$/);
    const before = original.body.subscriptions.find((s) => s.name === 'AccountSummary')!;
    expect({ position: summary.position, lagEvents: summary.lagEvents }).toEqual({
      position: before.position,
      lagEvents: before.lagEvents,
    });
  });

  it('dlq list, resolve and retry change the queue as they say', async () => {
    const listed = await json<{ deadLetters: { id: string; status: string; streamId: string }[] }>(
      'dlq',
      'list',
      '--db',
      db,
      '--status',
      'pending',
    );
    expect(listed.status).toBe(0);
    const ids = listed.body.deadLetters.map((e) => e.id);
    expect(ids).toContain(seed.deadLetters[seed.bob]);

    const resolved = await json('dlq', 'resolve', seed.deadLetters[seed.bob]!, '--db', db);
    expect(resolved).toEqual({ status: 0, body: { id: seed.deadLetters[seed.bob], status: 'resolved' } });
    const retried = await json('dlq', 'retry', seed.deadLetters[seed.acme]!, '--db', db);
    expect(retried).toEqual({ status: 0, body: { id: seed.deadLetters[seed.acme], outcome: 'resolved' } });

    const after = await json<{ deadLetters: { id: string }[] }>('dlq', 'list', '--db', db, '--status', 'pending');
    expect(after.body.deadLetters.map((e) => e.id)).toEqual(
      ids.filter((id) => id !== seed.deadLetters[seed.bob] && id !== seed.deadLetters[seed.acme]),
    );
    const unknown = await run('dlq', 'retry', 'no-such-entry', '--db', db);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain('[DLQ.NOT_FOUND]');
  });

  it('dlq retry prints the new error when the handler fails again, as text and in the JSON', async () => {
    // Globex's entry parks an event of a type this project no longer has: re-delivering it fails.
    const id = seed.deadLetters[seed.globex]!;
    const sqlite = new BetterSqlite3(db.slice('sqlite:'.length));
    try {
      sqlite
        .prepare(
          "update eventsmith_dead_letters set record = json_set(record, '$.eventType', 'AccountFrozen') where id = ?",
        )
        .run(id);
    } finally {
      sqlite.close();
    }
    const retried = await json<{ id: string; outcome: string; error: string }>('dlq', 'retry', id, '--db', db);
    expect(retried.status).toBe(1);
    expect(retried.body).toEqual({ id, outcome: 'failed', error: expect.stringContaining('AccountFrozen') });
    const text = await run('dlq', 'retry', id, '--db', db);
    expect(text.status).toBe(1);
    const firstLine = retried.body.error.split('\n')[0]!;
    expect(text.out).toBe(
      `Retried ${id}: the handler failed again; the entry is pending with one more attempt counted.\n  error: ${firstLine}\n`,
    );
  });

  it('projections rebuild replays a projection into new tables and reports it, with plain progress off a terminal', async () => {
    const pending = async () =>
      (
        await json<{ deadLetters: { id: string; position: string; streamId: string }[] }>(
          'dlq',
          'list',
          '--db',
          db,
          '--subscription',
          'AccountSummary',
          '--status',
          'pending',
        )
      ).body.deadLetters;
    // A dead letter of Alice's first event, which is before AccountSummary's checkpoint (a copy of
    // Bob's entry, for that event): the rebuild replays it into the new tables.
    const sqlite = new BetterSqlite3(db.slice('sqlite:'.length));
    try {
      sqlite
        .prepare(
          `insert into eventsmith_dead_letters (tenant_id, subscription, event_id, event_type, stream_id, position,
             stored_at, record, error, stack, attempts, status, first_failed_at, last_failed_at)
           select d.tenant_id, d.subscription, e.event_id, e.event_type, e.stream_id,
             substr(d.position, 1, instr(d.position, '@')) || e.position, d.stored_at, d.record, d.error, d.stack,
             d.attempts, 'pending', d.first_failed_at, d.last_failed_at
           from eventsmith_dead_letters d, eventsmith_events e
           where d.id = ? and e.stream_id = ? and e.version = 1`,
        )
        .run(seed.deadLetters[seed.bob], seed.alice);
    } finally {
      sqlite.close();
    }
    const parked = await pending();
    const { status, body } = await json<{
      projection: string;
      replayed: number;
      failures: unknown[];
      position: string;
      resolvedDeadLetters: number;
    }>('projections', 'rebuild', 'AccountSummary', '--db', db);
    expect(status).toBe(0);
    expect(body.projection).toBe('AccountSummary');
    expect(body.replayed).toBeGreaterThan(0);
    expect(body.failures).toEqual([]);
    // The new tables hold the events parked before the rebuild's position: their entries are resolved.
    const upTo = BigInt(body.position.split('@')[1]!);
    const held = parked.filter((e) => BigInt(e.position.split('@')[1]!) <= upTo);
    expect(held.map((e) => e.streamId)).toEqual([seed.alice]);
    expect(body.resolvedDeadLetters).toBe(held.length);
    expect((await pending()).map((e) => e.id)).toEqual(parked.filter((e) => !held.includes(e)).map((e) => e.id));
    const text = await run('projections', 'rebuild', 'AccountSummary', '--db', db, '--skip-failures');
    expect(text.status).toBe(0);
    expect(text.err).toContain('eventsmith: rebuilding AccountSummary (about');
    expect(text.out).toMatch(/^Rebuilt AccountSummary: \d+ events? replayed in [\d.]+ s/);
    expect(text.out).not.toContain('Resolved'); // nothing left to resolve

    const unknown = await run('projections', 'rebuild', 'Nope', '--db', db);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain('Projections: AccountSummary');
  });

  it('projections rebuild refuses, with what to do, while an app runs the projection', async () => {
    // An app holds each projection's lease while it runs it (createApp's default SqlLeaseLock).
    const sqlite = new BetterSqlite3(db.slice('sqlite:'.length));
    const appDb = new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
    const lease = await new SqlLeaseLock(appDb).tryAcquire('AccountSummary');
    try {
      expect(lease).toBeDefined();
      const refused = await run('projections', 'rebuild', 'AccountSummary', '--db', db);
      expect(refused.status).toBe(1);
      expect(refused.err).toContain('another process is running it');
      expect(refused.err).toContain('PROJECTION.REBUILD_BUSY');
      expect(refused.err).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      await lease?.release();
      await appDb.destroy();
    }
    expect((await run('projections', 'rebuild', 'AccountSummary', '--db', db)).status).toBe(0);
  });

  it('says a negative --limit must be a positive whole number, rather than that it has no value', async () => {
    const result = await run('events', 'tail', '--limit', '-5', '--db', db);
    expect(result.status).toBe(2);
    expect(result.err).toContain('[CLI.NUMBER]');
    expect(result.err).toContain('--limit must be a positive whole number, not "-5".');
    expect(result.err).not.toContain('needs a value');
  });

  it('projections rebuild of an unknown projection prints only the error, before any progress', async () => {
    const result = await run('projections', 'rebuild', 'Nope', '--db', db);
    expect(result.status).toBe(1);
    expect(result.err).toContain('[OPS.UNKNOWN_PROJECTION]');
    expect(result.err).toContain('There is no projection "Nope"');
    expect(result.err).not.toContain('rebuilding');
    expect(result.out).toBe('');
  });

  it('has --help for each operations command', async () => {
    for (const command of ['events', 'subscriptions', 'dlq', 'projections']) {
      const result = await run(command, '--help');
      expect(result.status).toBe(0);
      expect(result.out).toContain(`Usage: eventsmith ${command} `);
    }
  });

  it('refuses a missing sub-command, argument or --db, and options of another sub-command, before opening anything', async () => {
    const cases: [string[], string][] = [
      [['events'], 'CLI.UNKNOWN_COMMAND'],
      [['events', 'head', '--db', 'x.db'], 'CLI.UNKNOWN_COMMAND'],
      [['events', 'show', '--db', 'x.db'], 'CLI.MISSING_ARGUMENT'],
      [['events', 'tail'], 'CLI.MISSING_FLAG'],
      [['events', 'tail', '--at', '3', '--db', 'x.db'], 'CLI.NOT_APPLICABLE'],
      [['dlq', 'list', '--at', '3', '--db', 'x.db'], 'CLI.UNKNOWN_FLAG'],
      [['events', 'tail', '--follow', '--format', 'json', '--db', 'x.db'], 'CLI.NOT_APPLICABLE'],
      [['events', 'tail', '--limit', 'many', '--db', 'x.db'], 'CLI.NUMBER'],
      [['dlq', 'list', '--status', 'stuck', '--db', 'x.db'], 'CLI.STATUS'],
      [['events', 'tail', '--db', 'foo://bar'], 'DB.URL'],
      [['subscriptions', 'status', '--db', 'foo://bar'], 'DB.URL'],
      [['dlq', 'list', '--db', 'foo://bar'], 'DB.URL'],
      [['projections', 'rebuild', 'AccountSummary', '--db', 'foo://bar'], 'DB.URL'],
      [['projections', 'forget', '--db', 'x.db'], 'CLI.MISSING_ARGUMENT'],
      [['projections', 'forget', 'Old', '--skip-failures', '--db', 'x.db'], 'CLI.NOT_APPLICABLE'],
      [['projections', 'forget', 'Old', '--db', 'foo://bar'], 'DB.URL'],
    ];
    for (const [argv, code] of cases) {
      const result = await run(...argv);
      expect({
        argv,
        status: result.status,
        code: result.err.includes(`[${code}]`) || result.out.includes(`"code": "${code}"`),
      }).toEqual({
        argv,
        status: 2,
        code: true,
      });
    }
  });
});

describe('projections rebuild with an event its handlers fail on', () => {
  let dir: string;
  let file: string;
  let code: ProjectCode;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-ops-poison-'));
    file = join(dir, 'bank.db');
    const config = await loadConfig(CONFIG);
    if (Array.isArray(config)) throw new Error(`The repository's config is invalid: ${JSON.stringify(config)}`);
    const loaded = await loadProjectCode(config);
    await seedBankStore(file, loaded, ROOT);
    // AccountSummary as generated, except that it fails on deposits (its live checkpoint, where a
    // rebuild ends, is at Alice's first deposit).
    const real = loaded.projections.get('AccountSummary')!;
    const failing = Object.assign(Object.create(real) as typeof real, {
      handleBatch: undefined,
      handle: (stored: StoredEvent, context: Parameters<typeof real.handle>[1]) => {
        if (stored.event.eventType === 'MoneyDeposited') throw new Error('the reporting database refused the row');
        return real.handle(stored, context);
      },
    });
    code = { ...loaded, projections: new Map([['AccountSummary', failing]]) };
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  function sql<T>(query: string): T | undefined {
    const sqlite = new BetterSqlite3(file);
    try {
      const statement = sqlite.prepare(query);
      return (statement.reader ? statement.get() : statement.run()) as T;
    } finally {
      sqlite.close();
    }
  }

  it('stops at the first failure and leaves the live tables as they were, unless asked to skip failures', async () => {
    const inspector = await StoreInspector.open({ url: `sqlite:${file}`, cwd: dir, code });
    try {
      const skipping = await inspector.rebuildProjection('AccountSummary', undefined, { skipFailures: true });
      expect(skipping.failures.map((f) => f.eventType)).toEqual(['MoneyDeposited']);
      // Mark the live table: a rebuild that stops must leave it as it is.
      sql("update account_summary set owner_name = 'marker' where account_id = 'alice'");
      await expect(inspector.rebuildProjection('AccountSummary')).rejects.toMatchObject({
        code: 'PROJECTION.REBUILD_FAILED',
      });
      expect(sql("select owner_name from account_summary where account_id = 'alice'")).toEqual({
        owner_name: 'marker',
      });
    } finally {
      await inspector.close();
    }
  });
});

describe('dlq retry of every pending entry of a subscription', () => {
  let dir: string;
  let db: string;
  let seed: BankSeed;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-ops-bulk-'));
    const file = join(dir, 'bank.db');
    db = `sqlite:${file}`;
    const config = await loadConfig(CONFIG);
    if (Array.isArray(config)) throw new Error(`The repository's config is invalid: ${JSON.stringify(config)}`);
    seed = await seedBankStore(file, await loadProjectCode(config), ROOT);
    // Globex's entry parks an event of a type this project no longer has: re-delivering it fails.
    const sqlite = new BetterSqlite3(file);
    try {
      sqlite
        .prepare(
          "update eventsmith_dead_letters set record = json_set(record, '$.eventType', 'AccountFrozen') where id = ?",
        )
        .run(seed.deadLetters[seed.globex]);
    } finally {
      sqlite.close();
    }
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('is never implied: without an id it needs --subscription or --all, and takes not both an id and them', async () => {
    const missing = await run('dlq', 'retry', '--db', db);
    expect(missing.status).toBe(2);
    expect(missing.err).toContain('[CLI.MISSING_ARGUMENT]');
    expect(missing.err).toContain('eventsmith dlq retry --subscription <name> --db <url>');
    const both = await run('dlq', 'retry', seed.deadLetters[seed.bob]!, '--all', '--db', db);
    expect(both.status).toBe(2);
    expect(both.err).toContain('[CLI.UNEXPECTED_ARGUMENT]');
    const elsewhere = await run('dlq', 'list', '--all', '--db', db);
    expect(elsewhere.err).toContain('[CLI.NOT_APPLICABLE]');
    // Nothing was retried.
    const pending = await json<{ deadLetters: unknown[] }>('dlq', 'list', '--status', 'pending', '--db', db);
    expect(pending.body.deadLetters).toHaveLength(3);
  });

  it('retries each pending entry in id order, goes on after a failure, reports the counts and exits 1 if any failed', async () => {
    const unknown = await run('dlq', 'retry', '--subscription', 'AcountSummary', '--db', db);
    expect(unknown.status).toBe(1);
    expect(unknown.err).toContain('[OPS.UNKNOWN_PROJECTION]');

    const ids = [seed.bob, seed.acme, seed.globex].map((s) => seed.deadLetters[s]!);
    const retried = await json<{ entries: { id: string; outcome: string; error?: string }[] }>(
      'dlq',
      'retry',
      '--subscription',
      'AccountSummary',
      '--db',
      db,
    );
    expect(retried.status).toBe(1);
    expect(retried.body).toEqual({
      subscription: 'AccountSummary',
      tenantId: null,
      resolved: 2,
      failed: 1,
      skipped: 0,
      entries: [
        { id: ids[0], subscription: 'AccountSummary', outcome: 'resolved' },
        { id: ids[1], subscription: 'AccountSummary', outcome: 'resolved' },
        {
          id: ids[2],
          subscription: 'AccountSummary',
          outcome: 'failed',
          error: expect.stringContaining('AccountFrozen'),
        },
      ],
    });
    const pending = await json<{ deadLetters: { id: string; attempts: number }[] }>(
      'dlq',
      'list',
      '--status',
      'pending',
      '--db',
      db,
    );
    expect(pending.body.deadLetters.map((e) => e.id)).toEqual([ids[2]]);

    // --all, as text: a line per entry, then the counts.
    const text = await run('dlq', 'retry', '--all', '--db', db);
    expect(text.status).toBe(1);
    const error = retried.body.entries[2]!.error!.split('\n')[0]!;
    expect(text.out).toBe(
      `${ids[2]}  AccountSummary  failed  error: ${error}\n` +
        'Retried 1 pending entry of any subscription: 0 resolved, 1 failed. Failed entries stay pending with one more attempt counted.\n',
    );
    const none = await run('dlq', 'retry', '--subscription', 'AccountSummary', '--tenant', 'acme', '--db', db);
    expect({ status: none.status, out: none.out }).toEqual({
      status: 0,
      out: 'No pending dead letter of AccountSummary; nothing to retry.\n',
    });
  });
});
