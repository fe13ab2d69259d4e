/**
 * The SQL event stores against their raw drivers doing equivalent work, in one run (W1–W6 of the
 * SQL stores issue). Each store gets a fresh database; the raw driver a plain table with the same
 * columns and UNIQUE(stream_id, version), one transaction per append. Ratios are store ÷ raw
 * (higher is better; for W4 the ratio is raw ms ÷ store ms). Targets: W1–W3 ≥ 0.9×, W4–W5b ≥ 0.7×.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import { ConcurrencyError, EventRegistry, defineEvent, toEventRecord, z, type EventStore } from '@eventsmith/runtime';
import { MysqlEventStore } from '@eventsmith/runtime/mysql';
import { PostgresEventStore } from '@eventsmith/runtime/postgres';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { median, perSecond, ratio, table, time } from './harness.js';
import { rawMysql, rawPostgres, rawSqlite, type RawDriver } from './sql-stores-raw.js';

class BenchNoted extends defineEvent({
  type: 'BenchNoted',
  aggregateType: 'Bench',
  schema: z.object({ text: z.string(), n: z.number().int() }),
}) {}
const registry = EventRegistry.create({ events: [BenchNoted] });

const POSTGRES_URL = process.env['POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env['MYSQL_URL'] || 'mysql://root@127.0.0.1:3306/test';
const rows: Record<string, string | number>[] = [];

interface Subject {
  readonly name: string;
  readonly store: EventStore;
  readonly raw: RawDriver;
  readonly concurrent: boolean;
  /** Brings planner statistics up to date after the bulk load, as autovacuum would. */
  readonly analyze?: () => Promise<void>;
  readonly cleanup: () => Promise<void>;
}

const event = (stream: number, n: number) =>
  new BenchNoted({ text: `note ${n} of stream ${stream}`, n }, { aggregateId: `s${stream}` });
const streamId = (prefix: string, i: number) => `Bench-${prefix}${i}`;

function report(
  store: string,
  workload: string,
  storeValue: number,
  rawValue: number,
  unit: string,
  target: number,
  lowerIsBetter = false,
): void {
  const r = lowerIsBetter ? rawValue / storeValue : storeValue / rawValue;
  console.log(`  ${store} ${workload}: store ${storeValue} ${unit}, raw ${rawValue} ${unit}, ${r.toFixed(2)}×`);
  rows.push({
    subject: store,
    workload,
    store: `${storeValue} ${unit}`,
    raw: `${rawValue} ${unit}`,
    ratio: ratio(lowerIsBetter ? rawValue : storeValue, lowerIsBetter ? storeValue : rawValue),
    target: `≥${target}×`,
    ok: r >= target ? 'yes' : 'NO',
  });
}

type Append = (id: string, first: number, events: BenchNoted[]) => Promise<void>;

/**
 * Runs a write workload in two halves, in the order store, raw, raw, store, so drift in the
 * machine's load during the run weighs on both sides alike.
 */
async function appendsPerSecond(run: (append: Append, half: 0 | 1) => Promise<number>, subject: Subject) {
  const viaStore: Append = async (id, first, events) => {
    await subject.store.appendToStream(id, events, { expectedVersion: first - 1 });
  };
  const viaRaw: Append = async (id, first, events) => {
    await subject.raw.append(id, first, events.map(toEventRecord));
  };
  const s0 = await time(() => run(viaStore, 0));
  const r0 = await time(() => run(viaRaw, 0));
  const r1 = await time(() => run(viaRaw, 1));
  const s1 = await time(() => run(viaStore, 1));
  return {
    store: perSecond(s0.result + s1.result, s0.ms + s1.ms),
    raw: perSecond(r0.result + r1.result, r0.ms + r1.ms),
  };
}

async function workloads(subject: Subject): Promise<void> {
  const { name } = subject;
  // W1: 1,000 streams × 10 events, one event per append, round robin, expected version checked.
  const w1Events = Array.from({ length: 1000 }, (_, s) => Array.from({ length: 10 }, (_, v) => event(s, v + 1)));
  const w1 = await appendsPerSecond(async (append, half) => {
    for (let v = half * 5; v < half * 5 + 5; v++)
      for (let s = 0; s < 1000; s++) await append(streamId('w1-', s), v + 1, [w1Events[s]![v]!]);
    return 5000;
  }, subject);
  report(name, 'W1 single-event appends', w1.store, w1.raw, 'ev/s', 0.9);

  // W2: 1,000 new streams, one append of 10 events each.
  const w2Events = Array.from({ length: 1000 }, (_, s) => Array.from({ length: 10 }, (_, v) => event(s, v + 1)));
  const w2 = await appendsPerSecond(async (append, half) => {
    for (let s = half * 500; s < half * 500 + 500; s++) await append(streamId('w2-', s), 1, w2Events[s]!);
    return 5000;
  }, subject);
  report(name, 'W2 10-event appends, new streams', w2.store, w2.raw, 'ev/s', 0.9);

  // W3: 8 concurrent writers on distinct streams, 20,000 events (single-event appends).
  if (subject.concurrent) {
    const w3Events = Array.from({ length: 8 }, (_, w) => Array.from({ length: 2500 }, (_, i) => event(w, i + 1)));
    const w3 = await appendsPerSecond(async (append, half) => {
      await Promise.all(
        w3Events.map(async (events, w) => {
          for (let i = half * 1250; i < half * 1250 + 1250; i++)
            await append(streamId(`w3-${w}-`, i % 10), Math.floor(i / 10) + 1, [events[i]!]);
        }),
      );
      return 10_000;
    }, subject);
    report(name, 'W3 8 concurrent writers', w3.store, w3.raw, 'ev/s', 0.9);
  }

  // W4: load and fold one 1,000-event stream, 200 times.
  const long = Array.from({ length: 1000 }, (_, v) => event(9999, v + 1));
  for (let i = 0; i < 1000; i += 100) {
    await subject.store.appendToStream(streamId('w4-', 0), long.slice(i, i + 100), { expectedVersion: i });
    await subject.raw.append(streamId('w4-', 0), i + 1, long.slice(i, i + 100).map(toEventRecord));
  }
  const storeMs: number[] = [];
  const rawMs: number[] = [];
  for (let round = 0; round < 200; round++) {
    const s = await time(async () => {
      let sum = 0;
      for await (const stored of subject.store.readStream(streamId('w4-', 0)))
        sum += (stored.event as BenchNoted).data.n;
      return sum;
    });
    const r = await time(async () => {
      let sum = 0;
      for (const row of await subject.raw.readStream(streamId('w4-', 0))) sum += (row.data as { n: number }).n;
      return sum;
    });
    if (s.result !== r.result) throw new Error(`W4 fold mismatch: ${s.result} vs ${r.result}`);
    storeMs.push(s.ms);
    rawMs.push(r.ms);
  }
  report(
    name,
    'W4 load+fold 1,000 events (median)',
    +median(storeMs).toFixed(2),
    +median(rawMs).toFixed(2),
    'ms',
    0.7,
    true,
  );

  // W5: read everything in global order over ≥ 100,000 events.
  const have = subject.concurrent ? 41_000 : 21_000;
  for (let s = 0; s < Math.ceil((100_000 - have) / 100); s++) {
    const batch = Array.from({ length: 100 }, (_, v) => event(s, v + 1));
    await subject.store.appendToStream(streamId('w5-', s), batch, { expectedVersion: 0 });
    await subject.raw.append(streamId('w5-', s), 1, batch.map(toEventRecord));
  }
  await subject.analyze?.();
  const w5Store = await time(async () => {
    let count = 0;
    for await (const _ of subject.store.readAll()) count++;
    return count;
  });
  let rawHead = 0;
  const w5Raw = await time(async () => {
    let count = 0;
    for (let after = 0; ;) {
      const page = await subject.raw.readPage(after, 1000);
      count += page.length;
      rawHead = page.at(-1)?.position ?? after;
      if (page.length < 1000) return count;
      after = page[page.length - 1]!.position;
    }
  });
  if (w5Store.result < 100_000) throw new Error(`W5 read ${w5Store.result} events, expected ≥ 100,000`);
  report(
    name,
    `W5 read all (${w5Store.result} events)`,
    perSecond(w5Store.result, w5Store.ms),
    perSecond(w5Raw.result, w5Raw.ms),
    'ev/s',
    0.7,
  );

  // W5b: an idle subscription's poll: readAll after the head, where nothing new has been written.
  const head = await subject.store.currentPosition();
  const idlePolls = async (poll: () => Promise<number>) => {
    let empty = 0;
    for (let i = 0; i < 1000; i++) empty += (await poll()) === 0 ? 1 : 0;
    return empty;
  };
  const storePoll = async () => {
    let count = 0;
    for await (const _ of subject.store.readAll(head ? { after: head } : {})) count++;
    return count;
  };
  const rawPoll = async () => (await subject.raw.readPage(rawHead, 1000)).length;
  const idle = [
    await time(() => idlePolls(storePoll)),
    await time(() => idlePolls(rawPoll)),
    await time(() => idlePolls(rawPoll)),
    await time(() => idlePolls(storePoll)),
  ];
  if (idle.some((t) => t.result !== 1000)) throw new Error('W5b: an idle poll returned events');
  report(
    name,
    'W5b idle readAll polls',
    perSecond(2000, idle[0]!.ms + idle[3]!.ms),
    perSecond(2000, idle[1]!.ms + idle[2]!.ms),
    'polls/s',
    0.7,
  );

  // W6: two writers race on one stream 1,000 times; exactly one must win each round.
  let correct = 0;
  for (let round = 0; round < 1000; round++) {
    const outcomes = await Promise.allSettled(
      [0, 1].map((w) =>
        subject.store.appendToStream(streamId('w6-', 0), [event(w, round)], { expectedVersion: round }),
      ),
    );
    const wins = outcomes.filter((o) => o.status === 'fulfilled').length;
    const losses = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof ConcurrencyError).length;
    if (wins === 1 && losses === 1) correct++;
  }
  console.log(`  ${name} W6: ${correct}/1000 rounds with exactly one winner`);
  rows.push({
    subject: name,
    workload: 'W6 two writers race ×1,000',
    store: `${correct}/1000 one winner`,
    raw: '',
    ratio: '',
    target: 'all',
    ok: correct === 1000 ? 'yes' : 'NO',
  });
}

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

async function sqliteSubject(): Promise<Subject> {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-bench-'));
  const store = await SqliteEventStore.open({ filename: join(dir, 'store.db'), registry });
  const rawDb = new BetterSqlite3(join(dir, 'raw.db'));
  rawDb.pragma('journal_mode = WAL');
  rawDb.pragma('synchronous = FULL');
  return {
    name: 'SQLite (synchronous=FULL)',
    store,
    raw: await rawSqlite(rawDb),
    concurrent: false,
    cleanup: async () => {
      await store.close();
      rawDb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresSubject(): Promise<Subject> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const names = [`es_bench_store_${process.pid}`, `es_bench_raw_${process.pid}`];
  for (const n of names)
    await admin.query(`drop database if exists ${n}`).then(() => admin.query(`create database ${n}`));
  const url = (n: string) => Object.assign(new URL(POSTGRES_URL), { pathname: `/${n}` }).toString();
  const store = await PostgresEventStore.open({ url: url(names[0]!), registry, pool: { max: 10 } });
  const pool = new pg.Pool({ connectionString: url(names[1]!), max: 10 });
  return {
    name: 'PostgreSQL',
    store,
    raw: await rawPostgres(pool),
    concurrent: true,
    analyze: async () => {
      const client = new pg.Client({ connectionString: url(names[0]!) });
      await client.connect();
      await client.query('analyze');
      await client.end();
      await pool.query('analyze');
    },
    cleanup: async () => {
      await store.close();
      await pool.end();
      for (const n of names) await admin.query(`drop database if exists ${n} with (force)`);
      await admin.end();
    },
  };
}

async function mysqlSubject(): Promise<Subject> {
  const admin = await createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  const names = [`es_bench_store_${process.pid}`, `es_bench_raw_${process.pid}`];
  for (const n of names)
    await admin.query(`drop database if exists ${n}`).then(() => admin.query(`create database ${n}`));
  const url = (n: string) => Object.assign(new URL(MYSQL_URL), { pathname: `/${n}` }).toString();
  const store = await MysqlEventStore.open({ url: url(names[0]!), registry, pool: { connectionLimit: 10 } });
  const pool = createPool({ uri: url(names[1]!), connectionLimit: 10, jsonStrings: true });
  return {
    name: 'MariaDB',
    store,
    raw: await rawMysql(pool),
    concurrent: true,
    cleanup: async () => {
      await store.close();
      await pool.end();
      for (const n of names) await admin.query(`drop database if exists ${n}`);
      await admin.end();
    },
  };
}

export default async function run(): Promise<void> {
  const only = process.env['BENCH_STORES']?.split(',');
  const subjects: [string, number | undefined, () => Promise<Subject>][] = [
    ['sqlite', undefined, sqliteSubject],
    ['postgres', 5432, postgresSubject],
    ['mysql', 3306, mysqlSubject],
  ];
  for (const [key, port, make] of subjects) {
    if (only && !only.includes(key)) continue;
    if (port && !(await reachable(port))) {
      console.log(`${key}: skipped (nothing listening on 127.0.0.1:${port})`);
      continue;
    }
    const subject = await make();
    try {
      await workloads(subject);
    } finally {
      await subject.cleanup();
    }
  }
  table(rows);
}
