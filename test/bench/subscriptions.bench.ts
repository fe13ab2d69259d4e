/**
 * Subscriptions, projections and the outbox relay (subscriptions issue):
 * - catch-up throughput of a generated declarative projection (an upsert with increments, generated
 *   from YAML into ./tmp/ at the start) over 100,000 events, run by the SubscriptionManager with rows
 *   and checkpoint in one transaction per batch, against a hand-written raw-driver loop that reads
 *   the same feed table in pages of the same size and writes the same rows (one upsert per event)
 *   and a checkpoint in one transaction per page (target ≥ 0.7×). The feed holds 100 events per
 *   account in a row (a page of 500 touches 5 accounts); a second, smaller feed interleaves 1,000
 *   accounts (a page touches 500), where merging by key saves nothing and only multi-row
 *   statements remain;
 * - live latency from append commit to handler call, p50/p99 over 1,000 events;
 * - outbox relay throughput to a publisher that accepts at once.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import {
  EventRegistry,
  OutboxRelay,
  PostgresNotifyWakeUp,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  SqlOutboxStore,
  SubscriptionManager,
  WakeUpSignal,
  migrateSubscriptionTables,
  withAppendHooks,
  type DomainEvent,
  type EventStore,
  type Projection,
  type StoredEvent,
  type WakeUpSource,
} from '@eventsmith/runtime';
import { PostgresEventStore } from '@eventsmith/runtime/postgres';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { main as eventsmith } from '@eventsmith/generator';
import { percentile, perSecond, ratio, table } from './harness.js';

const BENCH_YAML = `domain: Bench
aggregates:
  BenchAccount:
    state:
      balance: integer
    events:
      BenchDeposited:
        fields: { amount: integer, note: string }
      BenchCredited:
        fields: { amount: integer, note: string }
projections:
  BenchAccountBalances:
    table: bench_account_balances
    columns:
      account_id: string
      balance: { type: bigint, default: 0 }
      deposits: { type: integer, default: 0 }
    primaryKey: account_id
    on:
      BenchDeposited:
        upsert: { account_id: meta.aggregateId, balance: { increment: data.amount }, deposits: { increment: 1 } }
  BenchInterleaved:
    table: bench_interleaved
    columns:
      account_id: string
      balance: { type: bigint, default: 0 }
      deposits: { type: integer, default: 0 }
    primaryKey: account_id
    on:
      BenchCredited:
        upsert: { account_id: meta.aggregateId, balance: { increment: data.amount }, deposits: { increment: 1 } }
`;

type BenchEvent = new (data: { amount: number; note: string }, init: { aggregateId: string }) => DomainEvent;
interface BenchDomain {
  BenchDeposited: BenchEvent;
  BenchCredited: BenchEvent;
  createBenchRegistry(): EventRegistry;
  createBenchAccountBalancesProjection(): Projection;
  createBenchInterleavedProjection(): Projection;
}

/** Generates the bench domain from YAML into ./tmp/ (git-ignored) with the CLI, and imports it. */
async function generateDomain(): Promise<BenchDomain> {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = join(repo, 'tmp', 'bench-subscriptions');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'domain'), { recursive: true });
  writeFileSync(join(dir, 'domain', 'bench.yaml'), BENCH_YAML);
  writeFileSync(
    join(dir, 'eventsmith.config.yaml'),
    'domains:\n  - input: domain\n    output: generated\n    userDir: src\n',
  );
  let err = '';
  const status = await eventsmith(['generate', '--config', join(dir, 'eventsmith.config.yaml')], {
    cwd: dir,
    out: () => undefined,
    err: (t) => void (err += t),
  });
  if (status !== 0) throw new Error(`eventsmith generate failed: ${err}`);
  return (await import(pathToFileURL(join(dir, 'generated', 'index.ts')).href)) as BenchDomain;
}

const domain = await generateDomain();
const { BenchDeposited, BenchCredited } = domain;
const registry = domain.createBenchRegistry();
const accountBalances = domain.createBenchAccountBalancesProjection();
const interleaved = domain.createBenchInterleavedProjection();

const EVENTS = 100_000;
const ACCOUNTS = 1000;
const INTERLEAVED = 20_000;
const BATCH = 500;
const POSTGRES_URL = process.env['POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
const rows: Record<string, string | number>[] = [];

const CREATE_BALANCES = (name: string) =>
  `create table ${name} (account_id varchar(100) primary key, balance bigint not null, deposits integer not null)`;
const UPSERT = (name: string, p: (n: number) => string) =>
  `insert into ${name} (account_id, balance, deposits) values (${p(1)}, ${p(2)}, 1) on conflict (account_id) do update set balance = ${name}.balance + excluded.balance, deposits = ${name}.deposits + 1`;

async function fill(store: EventStore): Promise<void> {
  const perStream = EVENTS / ACCOUNTS;
  for (let a = 0; a < ACCOUNTS; a++) {
    const events = Array.from(
      { length: perStream },
      (_, i) => new BenchDeposited({ amount: i + 1, note: `deposit ${i} on ${a}` }, { aggregateId: `acc-${a}` }),
    );
    await store.appendToStream(`BenchAccount-acc-${a}`, events, { expectedVersion: 'no_stream' });
  }
}

/** BenchCredited events, one account after the other in turn: a page of 500 touches 500 accounts. */
async function fillInterleaved(store: EventStore): Promise<void> {
  for (let round = 0; round < INTERLEAVED / ACCOUNTS; round++) {
    await store.transaction(async (tx) => {
      for (let a = 0; a < ACCOUNTS; a++) {
        await tx.appendToStream(
          `BenchAccount-acc-${a}`,
          [new BenchCredited({ amount: round + 1, note: `credit ${round} on ${a}` }, { aggregateId: `acc-${a}` })],
          { expectedVersion: 'any' },
        );
      }
    });
  }
}

/**
 * The same generated projection, one event at a time through `handle` in a hand-written loop
 * (feed pages, one Kysely transaction per page with a checkpoint upsert): what merging saves.
 */
async function kyselyLoop(store: EventStore & { db: any }): Promise<number> {
  await store.db.schema
    .createTable('kysely_checkpoint')
    .addColumn('name', 'varchar(50)', (c: any) => c.primaryKey())
    .addColumn('position', 'varchar(200)')
    .execute();
  await store.db.deleteFrom('bench_account_balances').execute();
  const started = performance.now();
  let after: StoredEvent['position'] | null = null;
  for (;;) {
    const page: StoredEvent[] = [];
    for await (const stored of store.readAll({ after, limit: BATCH, eventTypes: accountBalances.eventTypes }))
      page.push(stored);
    if (page.length === 0) break;
    after = page[page.length - 1]!.position;
    await store.db.transaction().execute(async (trx: any) => {
      for (const stored of page) await accountBalances.handle(stored, { db: trx });
      await trx
        .insertInto('kysely_checkpoint')
        .values({ name: 'k', position: after!.toString() })
        .onConflict((oc: any) => oc.column('name').doUpdateSet({ position: after!.toString() }))
        .execute();
    });
  }
  return perSecond(EVENTS, performance.now() - started);
}

/** Runs the projection under the manager from the beginning; returns events/s. */
async function managerCatchUp(store: EventStore & { db: any }, projection: Projection, count: number): Promise<number> {
  const checkpoints = new SqlCheckpointStore(store.db);
  const manager = new SubscriptionManager({
    store,
    checkpoints,
    deadLetters: new SqlDeadLetterQueue(store.db),
    pollIntervalMs: 50,
  });
  manager.project(projection, { batchSize: BATCH });
  let last: StoredEvent['position'] | undefined;
  for await (const stored of store.readAll({ eventTypes: projection.eventTypes, after: null })) last = stored.position;
  const started = performance.now();
  await manager.start();
  while (!(await checkpoints.load(projection.name))?.equals(last!)) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - started;
  await manager.stop();
  return perSecond(count, ms);
}

/** Only reading and decoding the feed in pages, as the manager does: the ceiling of any projection. */
async function feedOnly(store: EventStore, eventTypes: readonly string[], count: number): Promise<number> {
  const started = performance.now();
  let after: StoredEvent['position'] | null = null;
  for (;;) {
    let read = 0;
    for await (const stored of store.readAll({ after, limit: BATCH, eventTypes })) ((after = stored.position), read++);
    if (read === 0) break;
  }
  return perSecond(count, performance.now() - started);
}

/** The raw-driver baseline over one event type: returns events/s. */
type RawLoop = (eventType: string, table: string, count: number) => Promise<number>;

async function catchUpRows(backend: string, store: EventStore & { db: any }, raw: RawLoop): Promise<void> {
  const ours = await managerCatchUp(store, accountBalances, EVENTS);
  const rawRate = await raw('BenchDeposited', 'raw_balances', EVENTS);
  const loop = await kyselyLoop(store);
  const read = await feedOnly(store, accountBalances.eventTypes, EVENTS);
  rows.push({
    backend,
    workload: 'projection catch-up 100k (100 events per account in a row)',
    eventsmith: `${ours} ev/s`,
    raw: `${rawRate} ev/s`,
    ratio: ratio(ours, rawRate),
    target: '≥ 0.70×',
  });
  rows.push({
    backend,
    workload: '  same projection, handle() per event in a Kysely loop',
    eventsmith: `${loop} ev/s`,
    raw: `${rawRate} ev/s`,
    ratio: ratio(loop, rawRate),
    target: '',
  });
  rows.push({
    backend,
    workload: '  reading and decoding the feed alone (no projection)',
    eventsmith: `${read} ev/s`,
    raw: `${rawRate} ev/s`,
    ratio: ratio(read, rawRate),
    target: '',
  });
  await fillInterleaved(store);
  const mixed = await managerCatchUp(store, interleaved, INTERLEAVED);
  const rawMixed = await raw('BenchCredited', 'raw_interleaved', INTERLEAVED);
  rows.push({
    backend,
    workload: 'projection catch-up 20k (accounts interleaved)',
    eventsmith: `${mixed} ev/s`,
    raw: `${rawMixed} ev/s`,
    ratio: ratio(mixed, rawMixed),
    target: '',
  });
}

async function benchSqlite(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'es-bench-sub-'));
  const file = join(dir, 'bench.db');
  try {
    const store = await SqliteEventStore.open({ filename: file, registry, synchronous: 'NORMAL' });
    await migrateSubscriptionTables(store.db);
    await fill(store);
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    for (const name of ['bench_account_balances', 'bench_interleaved', 'raw_balances', 'raw_interleaved'])
      raw.exec(CREATE_BALANCES(name));
    raw.exec('create table raw_checkpoint (name text primary key, position integer not null)');

    const page = raw.prepare(
      'select position, aggregate_id, data from eventsmith_events where position > ? and event_type = ? order by position limit ?',
    );
    const checkpoint = raw.prepare(
      'insert into raw_checkpoint values (?, ?) on conflict (name) do update set position = excluded.position',
    );
    const rawLoop: RawLoop = async (eventType, table, count) => {
      const upsert = raw.prepare(UPSERT(table, () => '?'));
      const applyPage = raw.transaction((events: { position: number; aggregate_id: string; data: string }[]) => {
        for (const e of events) upsert.run(e.aggregate_id, (JSON.parse(e.data) as { amount: number }).amount);
        checkpoint.run(table, events[events.length - 1]!.position);
      });
      const started = performance.now();
      let after = 0;
      for (;;) {
        const events = page.all(after, eventType, BATCH) as { position: number; aggregate_id: string; data: string }[];
        if (events.length === 0) break;
        applyPage(events);
        after = events[events.length - 1]!.position;
        await new Promise((r) => setImmediate(r));
      }
      return perSecond(count, performance.now() - started);
    };
    await catchUpRows('sqlite', store, rawLoop);
    raw.close();

    const signal = new WakeUpSignal();
    await liveLatency('sqlite', store, signal, (afterCommit) =>
      withAppendHooks(store, { afterCommit: () => (afterCommit(), signal.notify()) }),
    );
    await relayThroughput('sqlite', store);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(): Promise<void> {
  const name = `es_bench_sub_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  try {
    const store = await PostgresEventStore.open({ url: url.toString(), registry, pool: { max: 8 } });
    await migrateSubscriptionTables(store.db);
    await fill(store);
    const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
    for (const table of ['bench_account_balances', 'bench_interleaved', 'raw_balances', 'raw_interleaved'])
      await pool.query(CREATE_BALANCES(table));
    await pool.query('create table raw_checkpoint (name text primary key, position bigint not null)');

    const rawLoop: RawLoop = async (eventType, table, count) => {
      const started = performance.now();
      let after = '0';
      const client = await pool.connect();
      for (;;) {
        const { rows: events } = await client.query<{
          position: string;
          aggregate_id: string;
          data: { amount: number };
        }>(
          'select position, aggregate_id, data from eventsmith_events where position > $1 and event_type = $2 order by position limit $3',
          [after, eventType, BATCH],
        );
        if (events.length === 0) break;
        await client.query('begin');
        for (const e of events)
          await client.query(
            UPSERT(table, (n) => `$${n}`),
            [e.aggregate_id, e.data.amount],
          );
        await client.query(
          'insert into raw_checkpoint values ($1, $2) on conflict (name) do update set position = excluded.position',
          [table, events[events.length - 1]!.position],
        );
        await client.query('commit');
        after = events[events.length - 1]!.position;
      }
      client.release();
      return perSecond(count, performance.now() - started);
    };
    await catchUpRows('postgres', store, rawLoop);
    await pool.end();

    const wakeUp = new PostgresNotifyWakeUp({ connect: () => new pg.Client({ connectionString: url.toString() }) });
    // The store's own notifications (sent after each commit, throttled), as an application gets them.
    await liveLatency('postgres (LISTEN/NOTIFY)', store, wakeUp, (afterCommit) =>
      withAppendHooks(store, { afterCommit }),
    );
    await relayThroughput('postgres', store);
    await store.close();
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/** 1,000 single-event appends, ~2 ms apart; latency from each commit to its handler call. */
async function liveLatency(
  label: string,
  store: EventStore,
  wakeUp: WakeUpSource,
  hooked: (afterCommit: () => void) => EventStore,
): Promise<void> {
  const commits: number[] = [];
  const handled: number[] = [];
  const writer = hooked(() => commits.push(performance.now()));
  const manager = new SubscriptionManager({ store: writer, wakeUps: [wakeUp], pollIntervalMs: 1000 });
  manager.subscribe(() => void handled.push(performance.now()), {
    name: 'latency',
    startFrom: 'end',
    eventTypes: ['BenchDeposited'],
  });
  await manager.start();
  while ((await manager.status('latency')).state !== 'live') await new Promise((r) => setTimeout(r, 5));
  for (let i = 0; i < 1000; i++) {
    await writer.appendToStream(
      'BenchAccount-live',
      [new BenchDeposited({ amount: i, note: 'live' }, { aggregateId: 'live' })],
      { expectedVersion: 'any' },
    );
    await new Promise((r) => setTimeout(r, 2));
  }
  while (handled.length < 1000) await new Promise((r) => setTimeout(r, 5));
  await manager.stop();
  const latencies = handled.map((t, i) => t - commits[i]!);
  rows.push({
    backend: label,
    workload: 'live latency, 1,000 events',
    eventsmith: `p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
    raw: '',
    ratio: '',
    target: '',
  });
}

/** 20,000 outbox rows written with their appends, drained by one relay. */
async function relayThroughput(label: string, store: EventStore & { db: any }): Promise<void> {
  const outbox = new SqlOutboxStore(store.db);
  const total = 20_000;
  for (let a = 0; a < total / 100; a++) {
    const events = Array.from(
      { length: 100 },
      (_, i) => new BenchDeposited({ amount: i, note: 'outbox' }, { aggregateId: `out-${a}` }),
    );
    await store.transaction(async (tx) => {
      await tx.appendToStream(`BenchAccount-out-${a}`, events, { expectedVersion: 'no_stream' });
      await outbox.add(events, { transaction: tx });
    });
  }
  let published = 0;
  const relay = new OutboxRelay(
    outbox,
    { publish: async (events) => void (published += events.length) },
    { batchSize: 500 },
  );
  const started = performance.now();
  await relay.drain();
  const ms = performance.now() - started;
  rows.push({
    backend: label,
    workload: 'outbox relay, 20,000 rows',
    eventsmith: `${perSecond(published, ms)} ev/s`,
    raw: '',
    ratio: '',
    target: '',
  });
}

function up(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export default async function main(): Promise<void> {
  await benchSqlite();
  if (await up(Number(new URL(POSTGRES_URL).port || 5432))) await benchPostgres();
  else console.log('postgres: skipped (not reachable)');
  table(rows);
}
