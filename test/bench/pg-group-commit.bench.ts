/**
 * PostgreSQL group commit (issue 15): W1 (one writer) and W3 (8 concurrent writers, single-event
 * appends with expected versions) through the store with `groupCommit: true` (the default),
 * without it, and through the raw driver (plain inserts, one transaction per append), in one run,
 * rounds alternating the order. Besides throughput it prints the CPU each side spends per event,
 * in this process and in its PostgreSQL backends (read from /proc when the server runs on this
 * machine): on a shared machine, wall-clock ratios swing with the load, CPU per event does not;
 * nor do the statements per event (queries this process sent, notifications included).
 * `BENCH_ROUNDS` (default 5), `BENCH_W3_APPENDS` (per writer, default 400), `BENCH_W3_WRITERS`
 * (default 8; each side's pool holds at least one connection per writer).
 *
 * With 8 writers on an idle machine both sides wait mostly for WAL flushes (each writer waits for
 * its own append's), which PostgreSQL already shares between concurrent commits, so the ratio
 * stays near 1 however little CPU a batch costs. More writers, or a loaded machine, make the CPU
 * per event count: try `BENCH_W3_WRITERS=32`.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { EventRegistry, defineEvent, z } from '@eventsmith/runtime';
import { PostgresEventStore } from '@eventsmith/runtime/postgres';
import { median, table } from './harness.js';
import { rawPostgres } from './sql-stores-raw.js';

class BenchNoted extends defineEvent({
  type: 'BenchNoted',
  aggregateType: 'Bench',
  schema: z.object({ text: z.string(), n: z.number().int() }),
}) {}
const registry = EventRegistry.create({ events: [BenchNoted] });
const POSTGRES_URL = process.env['POSTGRES_URL'] || 'postgres://postgres@127.0.0.1:5432/test';

type Append = (streamId: string, version: number, n: number) => Promise<void>;
interface Subject {
  readonly name: string;
  readonly database: string;
  readonly append: Append;
}
interface Figures {
  readonly perSecond: number;
  readonly statements: number;
  readonly processUs: number;
  readonly serverUs: number | undefined;
}

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** CPU ticks (1/100 s) of each backend connected to `database`, or undefined when /proc cannot tell. */
async function backendTicks(admin: pg.Client, database: string): Promise<Map<number, number> | undefined> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
    database,
  ]);
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks.set(pid, Number(fields[11]) + Number(fields[12]));
    } catch {
      return undefined;
    }
  }
  return ticks;
}

/** Queries sent by every pg client of this process (the stores', the raw pool's and the admin's). */
let queries = 0;
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return clientQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

async function measure(admin: pg.Client, subject: Subject, events: number, run: () => Promise<void>): Promise<Figures> {
  const before = await backendTicks(admin, subject.database);
  const sent = queries;
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the last commits' notification
  const statements = (queries - sent) / events;
  const after = await backendTicks(admin, subject.database);
  let serverUs: number | undefined;
  if (before && after) {
    let ticks = 0;
    for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
    serverUs = (ticks * 10_000) / events;
  }
  return { perSecond: (events / ms) * 1000, statements, processUs: (used.user + used.system) / events, serverUs };
}

export default async function run(): Promise<void> {
  if (!(await reachable(5432))) {
    console.log('postgres: skipped (nothing listening on 127.0.0.1:5432)');
    return;
  }
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
  const perWriter = Number(process.env['BENCH_W3_APPENDS'] ?? 400);
  const writers = Number(process.env['BENCH_W3_WRITERS'] ?? 8);
  const connections = Math.max(10, writers);
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  const names = ['raw', 'on', 'off'].map((n) => `es_bench_gc_${n}_${process.pid}`);
  for (const n of names)
    await admin.query(`drop database if exists ${n}`).then(() => admin.query(`create database ${n}`));
  const url = (n: string) => Object.assign(new URL(POSTGRES_URL), { pathname: `/${n}` }).toString();
  const pool = new pg.Pool({ connectionString: url(names[0]!), max: connections });
  pool.on('error', () => undefined);
  const raw = await rawPostgres(pool);
  const on = await PostgresEventStore.open({
    url: url(names[1]!),
    registry,
    pool: { max: connections },
    groupCommit: true,
  });
  const off = await PostgresEventStore.open({
    url: url(names[2]!),
    registry,
    pool: { max: connections },
    groupCommit: false,
  });
  const viaStore =
    (store: PostgresEventStore): Append =>
    async (streamId, version, n) => {
      await store.appendToStream(streamId, [new BenchNoted({ text: `note ${n}`, n }, { aggregateId: streamId })], {
        expectedVersion: version - 1,
      });
    };
  const subjects: Subject[] = [
    {
      name: 'raw driver',
      database: names[0]!,
      append: (streamId, version, n) =>
        raw.append(streamId, 'Bench', version, [{ type: 'BenchNoted', data: { text: `note ${n}`, n } }]),
    },
    { name: 'store, groupCommit: true (default)', database: names[1]!, append: viaStore(on) },
    { name: 'store, groupCommit: false', database: names[2]!, append: viaStore(off) },
  ];
  const w1 = (s: Subject, tag: string) =>
    measure(admin, s, 500, async () => {
      for (let i = 0; i < 500; i++) await s.append(`Bench-w1${tag}-${i % 50}`, Math.floor(i / 50) + 1, i);
    });
  const w3 = (s: Subject, tag: string) =>
    measure(admin, s, writers * perWriter, async () => {
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let i = 0; i < perWriter; i++)
            await s.append(`Bench-w3${tag}-${w}-${i % 10}`, Math.floor(i / 10) + 1, i);
        }),
      );
    });
  const results = new Map(subjects.map((s) => [s.name, { w1: [] as Figures[], w3: [] as Figures[] }]));
  try {
    for (const s of subjects) await w3(s, '-warm'); // connections, prepared statements, JIT
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse();
      for (const s of order) results.get(s.name)!.w1.push(await w1(s, `-${round}`));
      for (const s of order) results.get(s.name)!.w3.push(await w3(s, `-${round}`));
    }
  } finally {
    await on.close();
    await off.close();
    await pool.end();
    for (const n of names) await admin.query(`drop database if exists ${n} with (force)`);
    await admin.end();
  }
  const rawRuns = results.get('raw driver')!;
  const rows: Record<string, string>[] = [];
  for (const s of subjects) {
    const r = results.get(s.name)!;
    for (const [workload, runs, rawOf] of [
      ['W1 one writer', r.w1, rawRuns.w1],
      [`W3 ${writers} writers`, r.w3, rawRuns.w3],
    ] as const) {
      const ratios = runs.map((f, i) => f.perSecond / rawOf[i]!.perSecond);
      const server = runs.map((f) => f.serverUs).filter((us): us is number => us !== undefined);
      rows.push({
        subject: s.name,
        workload,
        'ev/s': median(runs.map((f) => f.perSecond)).toFixed(0),
        'ratio to raw': `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
        'statements/event': median(runs.map((f) => f.statements)).toFixed(2),
        'process µs/event': median(runs.map((f) => f.processUs)).toFixed(0),
        'server µs/event': server.length === runs.length ? median(server).toFixed(0) : 'n/a',
      });
    }
  }
  console.log(
    `  ${rounds} rounds, order alternating; ratio = events/s ÷ raw events/s of the same round (median, range)`,
  );
  table(rows);
}
