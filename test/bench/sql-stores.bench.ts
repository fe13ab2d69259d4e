/**
 * The SQL event stores through the public API against the raw driver doing the same user-visible
 * work, in the same run (issue 15). Stores are opened with their documented defaults; events are
 * built with `defineEvent` classes inside the timed append; reads are consumed as the decoded
 * events the API returns. The raw reference (sql-stores-raw.ts) is the user-visible minimum: plain
 * inserts with UNIQUE(stream_id, version), one transaction per append; reads select the rows and
 * `JSON.parse` the payload.
 *
 * Each workload runs `BENCH_RUNS` times (default 5), store and raw alternating which goes first,
 * after one untimed warm-up run of both sides (run -1): the figures are a long-running process's,
 * not those of code V8 has not optimized yet (the store's append path took about 2,000 appends to
 * settle, raw's fewer, so a cold first workload read low for the store);
 * the table shows the medians of both sides' cost per event, the median ratio (store throughput ÷
 * raw throughput, i.e. raw cost ÷ store cost: higher is better) and the spread of the ratio over
 * the runs. Beside it, the same for this process's CPU time (client CPU: on SQLite, everything; on a
 * server, the driver and the store's own work, without the server's or the round trips'). Compare
 * ratios from one run of this file, never absolute figures across runs.
 *
 * Environment:
 * - `BENCH_STORES=sqlite,postgres,mysql`: which stores (default all whose service is up);
 * - `BENCH_WORKLOADS=W1,W2,W3,W4,W5,W5b,W6,RT`: which workloads (default all);
 * - `BENCH_RUNS=5`: runs per workload;
 * - `BENCH_QUICK=1`: smaller workloads (W5 reads 20,000 events instead of 100,000).
 *
 * Example: `BENCH_QUICK=1 BENCH_STORES=sqlite BENCH_WORKLOADS=W4,W5,RT npm run bench sql-stores`.
 */
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPool } from 'mysql2/promise';
import pg from 'pg';
import {
  AggregateRepository,
  AggregateRoot,
  ConcurrencyError,
  EventRegistry,
  defineEvent,
  fields,
  handles,
  z,
  type EventStore,
} from '@eventsmith/runtime';
import { MysqlEventStore } from '@eventsmith/runtime/mysql';
import { PostgresEventStore } from '@eventsmith/runtime/postgres';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { median, table } from './harness.js';
import { rawMysql, rawPostgres, rawSqlite, type RawDriver, type RawEvent } from './sql-stores-raw.js';

class BenchNoted extends defineEvent({
  type: 'BenchNoted',
  aggregateType: 'Bench',
  // A decimal and a date-time, as most domain events carry: they must arrive typed on read.
  schema: z.object({ text: z.string(), n: z.number().int(), amount: fields.decimal(), at: fields.datetime() }),
}) {}

class AccountOpened extends defineEvent({
  type: 'BenchAccountOpened',
  aggregateType: 'BenchAccount',
  schema: z.object({ owner: z.string() }),
}) {}
class AccountDeposited extends defineEvent({
  type: 'BenchAccountDeposited',
  aggregateType: 'BenchAccount',
  schema: z.object({ cents: z.number().int() }),
}) {}

interface AccountState {
  readonly owner: string;
  readonly cents: number;
}
const foldAccount = (state: AccountState, type: string, data: unknown): AccountState =>
  type === 'BenchAccountOpened'
    ? { owner: (data as { owner: string }).owner, cents: 0 }
    : { ...state, cents: state.cents + (data as { cents: number }).cents };

class BankAccount extends AggregateRoot<AccountState> {
  static override readonly aggregateType = 'BenchAccount';
  protected initialState(): AccountState {
    return { owner: '', cents: 0 };
  }
  open(owner: string) {
    this.raise(new AccountOpened({ owner }));
  }
  deposit(cents: number) {
    this.raise(new AccountDeposited({ cents }));
  }
  @handles(AccountOpened)
  onOpened(e: AccountOpened) {
    return foldAccount(this.state, e.eventType, e.data);
  }
  @handles(AccountDeposited)
  onDeposited(e: AccountDeposited) {
    return foldAccount(this.state, e.eventType, e.data);
  }
}

const registry = EventRegistry.create({ events: [BenchNoted, AccountOpened, AccountDeposited] });

const POSTGRES_URL = process.env['POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env['MYSQL_URL'] || 'mysql://root@127.0.0.1:3306/test';
const QUICK = process.env['BENCH_QUICK'] === '1';
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));
const WORKLOADS = new Set(
  process.env['BENCH_WORKLOADS']?.split(',') ?? ['W1', 'W2', 'W3', 'W4', 'W5', 'W5b', 'W6', 'RT'],
);
const SIZE = {
  w1Streams: QUICK ? 50 : 100, // × 5 single-event appends each, per run and side
  w2Appends: QUICK ? 50 : 100, // 10-event appends per run and side
  w3PerWriter: QUICK ? 50 : 150, // single-event appends per writer, 8 writers
  w4Loads: QUICK ? 10 : 50, // loads of the 1,000-event stream per run and side
  w5Events: QUICK ? 20_000 : 100_000, // at least this many events in the feed
  accounts: QUICK ? 50 : 200, // round trips per run and side
  polls: QUICK ? 200 : 1000, // idle polls per run and side (W5b)
} as const;
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

/**
 * One run's measurement: events (or round trips) done, and the wall time and this process's CPU
 * time (user + system, all threads) each side took.
 */
interface Sample {
  readonly count: number;
  readonly storeMs: number;
  readonly rawMs: number;
  readonly storeCpuMs: number;
  readonly rawCpuMs: number;
}

const AT = new Date('2026-01-02T03:04:05.678Z');
/** A payload; the raw side stores it as JSON.stringify does (the date as ISO-8601 text). */
const note = (stream: string, n: number) => ({ text: `note ${n} of ${stream}`, n, amount: `${n}.25`, at: AT });
type Note = ReturnType<typeof note>;
const streamId = (prefix: string, i: number) => `Bench-${prefix}${i}`;

async function timed(fn: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000 };
}

/** Runs store and raw once each, alternating which goes first from run to run. */
async function pair(run: number, store: () => Promise<unknown>, raw: () => Promise<unknown>) {
  const first = run % 2 === 0 ? await timed(store) : await timed(raw);
  const second = run % 2 === 0 ? await timed(raw) : await timed(store);
  const [s, r] = run % 2 === 0 ? [first, second] : [second, first];
  return { storeMs: s.ms, rawMs: r.ms, storeCpuMs: s.cpuMs, rawCpuMs: r.cpuMs };
}

function report(subject: string, workload: string, samples: Sample[], target: number | undefined, unit = 'event') {
  const us = (ms: number, count: number) => (ms * 1000) / count;
  const store = median(samples.map((s) => us(s.storeMs, s.count)));
  const raw = median(samples.map((s) => us(s.rawMs, s.count)));
  const ratios = samples.map((s) => s.rawMs / s.storeMs);
  const r = median(ratios);
  const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  // This process's CPU beside the wall time: on a database server, wall time also holds the round
  // trips and where the scheduler puts the client and the server's thread (the same core or not),
  // which swings the ratio of a round-trip-bound workload (W5b) from run to run; the client's CPU
  // per event does not swing with it.
  const storeCpu = median(samples.map((s) => us(s.storeCpuMs, s.count)));
  const rawCpu = median(samples.map((s) => us(s.rawCpuMs, s.count)));
  const cpuRatio = median(samples.map((s) => s.rawCpuMs / s.storeCpuMs));
  console.log(
    `  ${subject} ${workload}: store ${store.toFixed(1)} µs/${unit}, raw ${raw.toFixed(1)} µs/${unit}, ${r.toFixed(2)}× (runs ${spread}); ` +
      `client CPU store ${storeCpu.toFixed(1)} µs/${unit}, raw ${rawCpu.toFixed(1)} µs/${unit}, ${cpuRatio.toFixed(2)}×`,
  );
  rows.push({
    subject,
    workload,
    [`store µs`]: `${store.toFixed(1)}/${unit}`,
    [`raw µs`]: `${raw.toFixed(1)}/${unit}`,
    ratio: `${r.toFixed(2)}×`,
    [`spread (${samples.length} runs)`]: spread,
    [`client CPU store/raw µs`]: `${storeCpu.toFixed(1)}/${rawCpu.toFixed(1)}`,
    [`CPU ratio`]: `${cpuRatio.toFixed(2)}×`,
    target: target === undefined ? '' : `≥${target}×`,
    ok: target === undefined ? '' : r >= target ? 'yes' : 'NO',
  });
}

async function workloads(subject: Subject): Promise<void> {
  const { name, store, raw } = subject;
  let storeEvents = 0;
  let rawEvents = 0;
  const storeAppend = async (id: string, first: number, payloads: Note[]) => {
    const events = payloads.map((data) => new BenchNoted(data));
    await store.appendToStream(id, events, { expectedVersion: first - 1 });
    storeEvents += events.length;
  };
  const rawAppend = async (id: string, first: number, payloads: Note[]) => {
    await raw.append(
      id,
      'Bench',
      first,
      payloads.map((data): RawEvent => ({ type: 'BenchNoted', data })),
    );
    rawEvents += payloads.length;
  };

  // W1: single-event appends, round robin over fresh streams, expected version checked.
  if (WORKLOADS.has('W1')) {
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      const w1 = (append: typeof storeAppend) => async () => {
        for (let v = 1; v <= 5; v++)
          for (let s = 0; s < SIZE.w1Streams; s++) {
            const id = streamId(`w1-${run}-`, s);
            await append(id, v, [note(id, v)]);
          }
      };
      const sample = await pair(run, w1(storeAppend), w1(rawAppend));
      if (run >= 0) samples.push({ count: 5 * SIZE.w1Streams, ...sample });
    }
    report(name, 'W1 one event/append', samples, 0.9);
  }

  // W2: one append of 10 events to each of many new streams.
  if (WORKLOADS.has('W2')) {
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      const w2 = (append: typeof storeAppend) => async () => {
        for (let s = 0; s < SIZE.w2Appends; s++) {
          const id = streamId(`w2-${run}-`, s);
          await append(
            id,
            1,
            Array.from({ length: 10 }, (_, v) => note(id, v + 1)),
          );
        }
      };
      const sample = await pair(run, w2(storeAppend), w2(rawAppend));
      if (run >= 0) samples.push({ count: 10 * SIZE.w2Appends, ...sample });
    }
    report(name, 'W2 10 events/append', samples, 0.9);
  }

  // W3: 8 concurrent writers, single-event appends, each over its own 10 streams.
  if (WORKLOADS.has('W3') && subject.concurrent) {
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      const w3 = (append: typeof storeAppend) => () =>
        Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            for (let i = 0; i < SIZE.w3PerWriter; i++) {
              const id = streamId(`w3-${run}-${w}-`, i % 10);
              await append(id, Math.floor(i / 10) + 1, [note(id, i)]);
            }
          }),
        );
      const sample = await pair(run, w3(storeAppend), w3(rawAppend));
      if (run >= 0) samples.push({ count: 8 * SIZE.w3PerWriter, ...sample });
    }
    report(name, 'W3 8 concurrent writers', samples, name === 'PostgreSQL' ? 1.5 : 0.7); // PG: group commit
  }

  // W4: load and fold one 1,000-event stream.
  if (WORKLOADS.has('W4')) {
    const id = streamId('w4-', 0);
    for (let v = 1; v <= 1000; v += 100) {
      const batch = Array.from({ length: 100 }, (_, i) => note(id, v + i));
      await storeAppend(id, v, batch);
      await rawAppend(id, v, batch);
    }
    const expected = 500_500;
    const check = (sum: number) => {
      if (sum !== expected) throw new Error(`W4 fold gave ${sum}, expected ${expected}`);
    };
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      const sample = await pair(
        run + 1,
        async () => {
          for (let i = 0; i < SIZE.w4Loads; i++) {
            let sum = 0;
            for await (const stored of store.readStream(id)) sum += (stored.event as BenchNoted).data.n;
            check(sum);
          }
        },
        async () => {
          for (let i = 0; i < SIZE.w4Loads; i++) {
            let sum = 0;
            for (const row of await raw.readStream(id)) sum += (row.data as { n: number }).n;
            check(sum);
          }
        },
      );
      if (run >= 0) samples.push({ count: 1000 * SIZE.w4Loads, ...sample }); // run -1 warms up
    }
    report(name, 'W4 load+fold 1,000 events', samples, 0.8);
  }

  // W5: read the whole feed (≥ SIZE.w5Events events) in global order.
  if (WORKLOADS.has('W5') || WORKLOADS.has('W5b')) {
    for (let s = 0; storeEvents < SIZE.w5Events || rawEvents < SIZE.w5Events; s++) {
      const id = streamId('w5-', s);
      const batch = Array.from({ length: 100 }, (_, v) => note(id, v + 1));
      if (storeEvents < SIZE.w5Events) await storeAppend(id, 1, batch);
      if (rawEvents < SIZE.w5Events) await rawAppend(id, 1, batch);
    }
    await subject.analyze?.();
  }
  let rawHead = 0;
  if (WORKLOADS.has('W5')) {
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      let storeCount = 0;
      let rawCount = 0;
      const sample = await pair(
        run,
        async () => {
          for await (const stored of store.readAll()) if (stored.event.data) storeCount++;
        },
        async () => {
          for (let after = 0; ;) {
            const page = await raw.readPage(after, 1000);
            for (const row of page) if (row.data) rawCount++;
            if (page.length > 0) after = rawHead = page[page.length - 1]!.position;
            if (page.length < 1000) return;
          }
        },
      );
      if (storeCount !== storeEvents || rawCount !== rawEvents)
        throw new Error(`W5 read ${storeCount} and ${rawCount} events, expected ${storeEvents} and ${rawEvents}`);
      if (run >= 0) samples.push({ count: storeCount, ...sample });
    }
    report(name, `W5 read all ${storeEvents} events`, samples, 0.7);
  }

  // W5b: an idle subscription's poll: readAll after the head, where nothing new has been written.
  if (WORKLOADS.has('W5b')) {
    const head = await store.currentPosition();
    if (!WORKLOADS.has('W5'))
      for (let page; (page = await raw.readPage(rawHead, 1000)).length;) rawHead = page.at(-1)!.position;
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      const sample = await pair(
        run,
        async () => {
          for (let i = 0; i < SIZE.polls; i++)
            for await (const _ of store.readAll(head ? { after: head } : {}))
              throw new Error('W5b: an idle poll returned events');
        },
        async () => {
          for (let i = 0; i < SIZE.polls; i++)
            if ((await raw.readPage(rawHead, 1000)).length) throw new Error('W5b: an idle poll returned events');
        },
      );
      if (run >= 0) samples.push({ count: SIZE.polls, ...sample });
    }
    report(name, 'W5b idle readAll polls', samples, 0.7, 'poll');
  }

  // RT: the aggregate round trip (load, one command, save) on bank accounts with 10 events each,
  // against a raw select + fold + insert of the next version.
  if (WORKLOADS.has('RT')) {
    const accounts = new AggregateRepository(store, BankAccount);
    const accountId = (i: number) => `acc-${i}`;
    const rawStream = (i: number) => `BenchAccount-${accountId(i)}`;
    for (let i = 0; i < SIZE.accounts; i++) {
      const account = new BankAccount(accountId(i));
      account.open(`owner ${i}`);
      for (let d = 0; d < 9; d++) account.deposit(100);
      await accounts.save(account);
      await raw.append(rawStream(i), 'BenchAccount', 1, [
        { type: 'BenchAccountOpened', data: { owner: `owner ${i}` } },
        ...Array.from({ length: 9 }, () => ({ type: 'BenchAccountDeposited', data: { cents: 100 } })),
      ]);
    }
    const storeTrip = async (i: number) => {
      const account = await accounts.load(accountId(i));
      account.deposit(1);
      await accounts.save(account);
    };
    const rawTrip = async (i: number) => {
      let state: AccountState = { owner: '', cents: 0 };
      const events = await raw.readStream(rawStream(i));
      for (const row of events) state = foldAccount(state, row.event_type, row.data);
      if (!state.owner) throw new Error('RT: raw fold found no account');
      await raw.append(rawStream(i), 'BenchAccount', events.length + 1, [
        { type: 'BenchAccountDeposited', data: { cents: 1 } },
      ]);
    };
    // Store and raw take turns trip by trip (not run by run): a trip is one commit, and the time a
    // commit's sync takes drifts more from one run of trips to the next than the two sides differ.
    const samples: Sample[] = [];
    for (let run = -1; run < RUNS; run++) {
      const sum = { count: SIZE.accounts, storeMs: 0, rawMs: 0, storeCpuMs: 0, rawCpuMs: 0 };
      for (let i = 0; i < SIZE.accounts; i++) {
        const sample = await pair(
          run + i,
          () => storeTrip(i),
          () => rawTrip(i),
        );
        sum.storeMs += sample.storeMs;
        sum.rawMs += sample.rawMs;
        sum.storeCpuMs += sample.storeCpuMs;
        sum.rawCpuMs += sample.rawCpuMs;
      }
      if (run >= 0) samples.push(sum);
    }
    report(name, `RT aggregate round trip (${SIZE.accounts} accounts)`, samples, 0.8, 'trip');
  }

  // W6: two writers race on one stream; exactly one must win each round.
  if (WORKLOADS.has('W6')) {
    let correct = 0;
    const rounds = QUICK ? 200 : 1000;
    for (let round = 0; round < rounds; round++) {
      const outcomes = await Promise.allSettled(
        [0, 1].map((w) =>
          store.appendToStream(streamId('w6-', 0), [new BenchNoted(note('w6', w))], { expectedVersion: round }),
        ),
      );
      const wins = outcomes.filter((o) => o.status === 'fulfilled').length;
      const losses = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof ConcurrencyError).length;
      if (wins === 1 && losses === 1) correct++;
    }
    console.log(`  ${name} W6: ${correct}/${rounds} rounds with exactly one winner`);
    rows.push({
      subject: name,
      workload: `W6 two writers race ×${rounds}`,
      ratio: `${correct}/${rounds} ok`,
      target: 'all',
      ok: correct === rounds ? 'yes' : 'NO',
    });
  }
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
  const store = await SqliteEventStore.open({ filename: join(dir, 'store.db'), registry }); // WAL, synchronous FULL
  const rawDb = new BetterSqlite3(join(dir, 'raw.db'));
  rawDb.pragma('journal_mode = WAL');
  rawDb.pragma('synchronous = FULL');
  return {
    name: 'SQLite',
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
  const store = await PostgresEventStore.open({ url: url(names[0]!), registry });
  const pool = new pg.Pool({ connectionString: url(names[1]!) });
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
  const admin = createPool({ uri: MYSQL_URL, connectionLimit: 1 });
  const names = [`es_bench_store_${process.pid}`, `es_bench_raw_${process.pid}`];
  for (const n of names)
    await admin.query(`drop database if exists ${n}`).then(() => admin.query(`create database ${n}`));
  const url = (n: string) => Object.assign(new URL(MYSQL_URL), { pathname: `/${n}` }).toString();
  const store = await MysqlEventStore.open({ url: url(names[0]!), registry });
  const pool = createPool({ uri: url(names[1]!) });
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
  console.log(
    `  ${RUNS} runs per workload${QUICK ? ', quick sizes' : ''}; ratio = raw µs ÷ store µs (store throughput ÷ raw), median and spread over the runs`,
  );
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
