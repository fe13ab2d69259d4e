/**
 * Where a SQLite append's cost goes (issue 15, W1 and W2 of sql-stores): the raw table of
 * sql-stores-raw.ts, the raw table plus each structure of the store's schema one at a time, the
 * store's schema written with plain statements (what the store runs, without its JavaScript), that
 * schema one B-tree leaner in two ways (positions without AUTOINCREMENT, kept unique by forbidding
 * deletes; no streams row, the expected version read from the (stream_id, version) index: a sketch
 * that ignores the row's tenant), the store's schema plus building the events and preparing the
 * append, and the store itself. Every subject runs on its own file with the store's writer pragmas
 * (WAL, synchronous FULL, 32 MiB cache, wal_autocheckpoint 4,000; the raw subject too, and it
 * begins its transactions IMMEDIATE), in one process, alternating their order in each run.
 *
 * Columns: WAL frames per append (a separate pass with checkpoints off: one frame is one page
 * written to the log, two pwrite calls), then the medians over the runs of wall time and of this
 * process's CPU time per append, and the paired difference in CPU from the store's schema written
 * with plain statements ("lower in N/M runs").
 *
 * Environment: `BENCH_RUNS` (default 5), `BENCH_QUICK=1` (smaller runs).
 */
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EventRegistry, defineEvent, fields, z } from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { prepareAppend } from '../../runtime/src/store/sql/prepare-append.js';
import { median, table } from './harness.js';

class BenchNoted extends defineEvent({
  type: 'BenchNoted',
  aggregateType: 'Bench',
  schema: z.object({ text: z.string(), n: z.number().int(), amount: fields.decimal(), at: fields.datetime() }),
}) {}
const registry = EventRegistry.create({ events: [BenchNoted] });
const AT = '2026-01-02T03:04:05.678Z';
const note = (stream: string, n: number) => ({ text: `note ${n} of ${stream}`, n, amount: `${n}.25`, at: AT });

const QUICK = process.env['BENCH_QUICK'] === '1';
const RUNS = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 5));
const W1_STREAMS = QUICK ? 50 : 200; // × 5 single-event appends per run and subject
const W2_APPENDS = QUICK ? 30 : 150; // 10-event appends per run and subject

/** Which of the store schema's structures a plain-statement subject has. */
interface Shape {
  readonly eventId?: boolean; // UNIQUE (event_id)
  readonly typeIndex?: boolean; // (event_type, position)
  readonly aggregateTypeIndex?: boolean; // (aggregate_type, position)
  readonly tenantIndex?: boolean; // partial (tenant_id, position): no event here has a tenant
  readonly streams?: boolean; // the WITHOUT ROWID streams row, claimed or advanced per append
  readonly autoincrement?: boolean; // AUTOINCREMENT (sqlite_sequence); else an append-only trigger
  readonly maxVersionCheck?: boolean; // the expected version read from the (stream_id, version) index
  readonly build?: boolean; // events built with defineEvent and the append prepared as the store does
}
const STORE: Shape = {
  eventId: true,
  typeIndex: true,
  aggregateTypeIndex: true,
  tenantIndex: true,
  streams: true,
  autoincrement: true,
};
const SUBJECTS: readonly { readonly name: string; readonly shape?: Shape }[] = [
  { name: 'raw (sql-stores-raw.ts)', shape: { autoincrement: true } },
  { name: 'raw + UNIQUE (event_id)', shape: { autoincrement: true, eventId: true } },
  { name: 'raw + (event_type, position)', shape: { autoincrement: true, typeIndex: true } },
  { name: 'raw + (aggregate_type, position)', shape: { autoincrement: true, aggregateTypeIndex: true } },
  { name: 'raw + partial tenant index', shape: { autoincrement: true, tenantIndex: true } },
  { name: 'raw + streams row', shape: { autoincrement: true, streams: true } },
  { name: 'store schema, plain statements', shape: STORE },
  { name: '  - AUTOINCREMENT, + no-delete trigger', shape: { ...STORE, autoincrement: false } },
  { name: '  - streams row, + max(version) check', shape: { ...STORE, streams: false, maxVersionCheck: true } },
  {
    name: '  - both',
    shape: { ...STORE, autoincrement: false, streams: false, maxVersionCheck: true },
  },
  { name: '  + events built, append prepared', shape: { ...STORE, build: true } },
  { name: 'SqliteEventStore', shape: undefined },
];
const BASELINE = 6; // 'store schema, plain statements'

const COLUMNS =
  'stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data, stored_at';

interface Subject {
  append(streamId: string, first: number, count: number): unknown;
  /** Frames in the log since the last call; the log is emptied. */
  frames(): number;
  close(): Promise<void>;
}

function writerPragmas(db: Database, checkpoints: boolean): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -32768');
  db.pragma(`wal_autocheckpoint = ${checkpoints ? 4000 : 0}`);
}

function framesOf(db: Database): () => number {
  return () => {
    const [{ log }] = db.pragma('wal_checkpoint(PASSIVE)') as [{ log: number }];
    db.pragma('wal_checkpoint(TRUNCATE)');
    return log;
  };
}

let eventSeq = 0;
const idPrefix = Date.now().toString(16).padStart(12, '0');
/** Time-ordered, as the store's UUIDv7 ids: the event_id index grows at its right edge. */
const nextEventId = () => `${idPrefix}-${(eventSeq++).toString(16).padStart(20, '0')}`;

function plainSubject(file: string, s: Shape, checkpoints: boolean): Subject {
  const db = new BetterSqlite3(file);
  writerPragmas(db, checkpoints);
  db.exec(`create table events (position integer primary key${s.autoincrement ? ' autoincrement' : ''},
    stream_id text not null, version integer not null, event_id text not null, event_type text not null,
    event_version integer not null, aggregate_type text not null, aggregate_id text not null, tenant_id text,
    occurred_at text not null, actor_id text, correlation_id text not null, causation_id text, metadata text not null,
    data text not null, stored_at text not null, unique (stream_id, version)${s.eventId ? ', unique (event_id)' : ''})`);
  if (!s.autoincrement) {
    // Without AUTOINCREMENT a position is max(rowid) + 1: never reused while no row can be deleted.
    db.exec("create trigger events_append_only before delete on events begin select raise(abort, 'append-only'); end");
  }
  if (s.typeIndex) db.exec('create index events_type on events (event_type, position)');
  if (s.aggregateTypeIndex) db.exec('create index events_aggregate_type on events (aggregate_type, position)');
  if (s.tenantIndex) db.exec('create index events_tenant on events (tenant_id, position) where tenant_id is not null');
  if (s.streams) {
    db.exec(
      'create table streams (stream_id text primary key, version integer not null, tenant_id text) without rowid',
    );
  }
  const claim = s.streams
    ? db.prepare(
        'insert into streams (stream_id, version, tenant_id) values (?, ?, ?) on conflict (stream_id) do nothing',
      )
    : undefined;
  const advance = s.streams
    ? db.prepare(
        'update streams set version = ?, tenant_id = case when tenant_id = ? then tenant_id else null end ' +
          'where stream_id = ? and version = ?',
      )
    : undefined;
  const maxVersion = s.maxVersionCheck
    ? db.prepare('select max(version) from events where stream_id = ?').pluck()
    : undefined;
  const inserts = new Map<number, Statement>();
  const insert = (rows: number) => {
    let statement = inserts.get(rows);
    if (!statement) {
      const tuple = `(${Array(15).fill('?').join(', ')})`;
      statement = db.prepare(`insert into events (${COLUMNS}) values ${Array(rows).fill(tuple).join(', ')}`);
      inserts.set(rows, statement);
    }
    return statement;
  };
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  return {
    append(streamId, first, count) {
      const now = new Date().toISOString();
      const params: unknown[] = [];
      if (s.build) {
        const events = Array.from({ length: count }, (_, i) => new BenchNoted(note(streamId, first + i)));
        const prepared = prepareAppend(registry, streamId, events, { expectedVersion: first - 1 }, undefined);
        prepared.records.forEach((r, i) => {
          params.push(streamId, first + i, r.eventId, r.eventType, r.eventVersion, r.aggregateType, r.aggregateId);
          params.push(r.tenantId, r.occurredAt, r.actorId, r.correlationId, r.causationId);
          params.push(prepared.metadataJson[i], prepared.dataJson[i], now);
        });
      } else {
        const aggregateId = streamId.slice(streamId.indexOf('-') + 1);
        for (let i = 0; i < count; i++) {
          const id = nextEventId();
          params.push(streamId, first + i, id, 'BenchNoted', 1, 'Bench', aggregateId, null, now, null, id, null);
          params.push('{}', JSON.stringify(note(streamId, first + i)), now);
        }
      }
      begin.run();
      try {
        const moved = claim
          ? first === 1
            ? claim.run(streamId, count, null).changes === 1
            : advance!.run(first - 1 + count, null, streamId, first - 1).changes === 1
          : !maxVersion || ((maxVersion.get(streamId) as number | null) ?? 0) === first - 1;
        if (!moved) throw new Error(`${streamId}: not at version ${first - 1}`);
        insert(count).run(params);
        commit.run();
      } catch (error) {
        if (db.inTransaction) db.prepare('rollback').run();
        throw error;
      }
    },
    frames: framesOf(db),
    close: async () => void db.close(),
  };
}

async function storeSubject(file: string): Promise<Subject> {
  const store = await SqliteEventStore.open({ filename: file, registry });
  // The store's writer checkpoints at 4,000 frames: the frame pass stays below that and empties
  // the log through a connection of its own.
  const side = new BetterSqlite3(file);
  return {
    append: (streamId, first, count) =>
      store.appendToStream(
        streamId,
        Array.from({ length: count }, (_, i) => new BenchNoted(note(streamId, first + i))),
        { expectedVersion: first - 1 },
      ),
    frames: framesOf(side),
    close: async () => {
      side.close();
      await store.close();
    },
  };
}

type Workload = 'W1' | 'W2';
/** Runs one workload on one subject; returns the appends made. */
async function drive(subject: Subject, workload: Workload, prefix: string, streams: number): Promise<number> {
  let appends = 0;
  if (workload === 'W1') {
    for (let v = 1; v <= 5; v++)
      for (let s = 0; s < streams; s++) {
        await subject.append(`Bench-${prefix}${s}`, v, 1);
        appends++;
      }
  } else {
    for (let s = 0; s < streams; s++) {
      await subject.append(`Bench-${prefix}${s}`, 1, 10);
      appends++;
    }
  }
  return appends;
}

async function openAll(dir: string, checkpoints: boolean): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (const [i, { shape }] of SUBJECTS.entries()) {
    const file = join(dir, `${checkpoints ? 'timed' : 'frames'}-${i}.db`);
    subjects.push(shape ? plainSubject(file, shape, checkpoints) : await storeSubject(file));
  }
  return subjects;
}

/** WAL frames per append of each subject, checkpoints off, after a warm-up. */
async function countFrames(dir: string): Promise<{ W1: number; W2: number }[]> {
  const subjects = await openAll(dir, false);
  const counts: { W1: number; W2: number }[] = [];
  for (const subject of subjects) {
    await drive(subject, 'W1', 'warm-', 12);
    subject.frames();
    const w1 = await drive(subject, 'W1', 'f1-', 12);
    const w1Frames = subject.frames();
    const w2 = await drive(subject, 'W2', 'f2-', 30);
    counts.push({ W1: w1Frames / w1, W2: subject.frames() / w2 });
    await subject.close();
  }
  return counts;
}

interface Sample {
  readonly wallUs: number;
  readonly cpuUs: number;
}

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-write-cost-'));
  try {
    const frames = await countFrames(dir);
    const subjects = await openAll(dir, true);
    const samples = SUBJECTS.map(() => ({ W1: [] as Sample[], W2: [] as Sample[] }));
    for (let run = 0; run < RUNS; run++) {
      for (const workload of ['W1', 'W2'] as const) {
        // Each run starts with another subject, every other run in reverse.
        const order = SUBJECTS.map((_, i) => (i + run) % SUBJECTS.length);
        if (run % 2 === 1) order.reverse();
        for (const i of order) {
          const cpu = process.cpuUsage();
          const start = performance.now();
          const appends = await drive(
            subjects[i]!,
            workload,
            `${workload}-${run}-`,
            workload === 'W1' ? W1_STREAMS : W2_APPENDS,
          );
          const wallUs = ((performance.now() - start) * 1000) / appends;
          const used = process.cpuUsage(cpu);
          samples[i]![workload].push({ wallUs, cpuUs: (used.user + used.system) / appends });
        }
      }
    }
    for (const subject of subjects) await subject.close();

    const rows: Record<string, string>[] = [];
    for (const [i, { name }] of SUBJECTS.entries()) {
      const row: Record<string, string> = { subject: name };
      for (const workload of ['W1', 'W2'] as const) {
        const mine = samples[i]![workload];
        const base = samples[BASELINE]![workload];
        const diffs = mine.map((s, r) => s.cpuUs - base[r]!.cpuUs);
        row[`${workload} frames`] = frames[i]![workload].toFixed(2);
        row[`${workload} wall µs`] = median(mine.map((s) => s.wallUs)).toFixed(1);
        row[`${workload} CPU µs`] = median(mine.map((s) => s.cpuUs)).toFixed(1);
        row[`${workload} CPU vs plain`] =
          i === BASELINE
            ? ''
            : `${median(diffs) >= 0 ? '+' : ''}${median(diffs).toFixed(1)} (lower ${diffs.filter((d) => d < 0).length}/${diffs.length})`;
      }
      rows.push(row);
    }
    console.log(
      `  per append; W1 ${5 * W1_STREAMS} single-event appends, W2 ${W2_APPENDS} ten-event appends per run and subject, ${RUNS} runs`,
    );
    table(rows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
