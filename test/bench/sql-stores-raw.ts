/**
 * The raw-driver reference of sql-stores.bench.ts: the user-visible minimum, nothing more. A plain
 * table with the store's columns and UNIQUE(stream_id, version); an append builds its rows from
 * plain payloads (a random id, the current time) and inserts them in one transaction; a read
 * selects the rows and `JSON.parse`s the payload. Drivers run with their defaults.
 */
import type { Database } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type pg from 'pg';

/** What a raw append writes per event: the type name and the payload. */
export interface RawEvent {
  readonly type: string;
  readonly data: unknown;
}

/** A row as read back: every column, the payload parsed. */
export interface RawRow {
  readonly position: number;
  readonly version: number;
  readonly event_type: string;
  readonly data: unknown;
}

export interface RawDriver {
  /** One transaction: insert the rows of one append (UNIQUE(stream_id, version) checks the version). */
  append(streamId: string, aggregateType: string, firstVersion: number, events: readonly RawEvent[]): Promise<void>;
  /** A stream's rows in version order, with their payload parsed. */
  readStream(streamId: string): Promise<RawRow[]>;
  /** One page of every row after `after`, in position order, payload parsed. */
  readPage(after: number, limit: number): Promise<RawRow[]>;
}

const COLUMNS =
  'stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data';

function values(streamId: string, aggregateType: string, version: number, e: RawEvent, occurredAt: unknown): unknown[] {
  const id = randomUUID();
  const aggregateId = streamId.slice(streamId.indexOf('-') + 1);
  return [
    streamId,
    version,
    id,
    e.type,
    1,
    aggregateType,
    aggregateId,
    null,
    occurredAt,
    null,
    id,
    null,
    '{}',
    JSON.stringify(e.data),
  ];
}

const parsed = <R extends { data: unknown }>(r: R) => {
  r.data = JSON.parse(r.data as string);
  return r;
};

export async function rawPostgres(pool: pg.Pool): Promise<RawDriver> {
  // Payload as jsonb, as the store keeps it; the driver's default type parser JSON.parses it.
  await pool.query(`create table raw_events (position bigint generated always as identity primary key, stream_id text not null, version integer not null,
    event_id text not null, event_type text not null, event_version integer not null, aggregate_type text not null, aggregate_id text not null,
    tenant_id text, occurred_at timestamptz not null, actor_id text, correlation_id text not null, causation_id text, metadata jsonb not null,
    data jsonb not null, stored_at timestamptz not null default now(), unique (stream_id, version))`);
  const toRow = (r: RawRow & { position: unknown }) => (((r as { position: number }).position = Number(r.position)), r);
  return {
    async append(streamId, aggregateType, first, events) {
      const occurredAt = new Date().toISOString();
      const params: unknown[] = [];
      const rows = events.map((e, i) => {
        const base = params.length;
        params.push(...values(streamId, aggregateType, first + i, e, occurredAt));
        return `(${Array.from({ length: 14 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
      });
      await pool.query(`insert into raw_events (${COLUMNS}) values ${rows.join(', ')}`, params);
    },
    async readStream(streamId) {
      const { rows } = await pool.query('select * from raw_events where stream_id = $1 order by version', [streamId]);
      return rows.map(toRow);
    },
    async readPage(after, limit) {
      const { rows } = await pool.query('select * from raw_events where position > $1 order by position limit $2', [
        after,
        limit,
      ]);
      return rows.map(toRow);
    },
  };
}

export async function rawMysql(pool: MysqlPool): Promise<RawDriver> {
  const id = 'varchar(255)';
  await pool.query(`create table raw_events (position bigint auto_increment primary key, stream_id ${id} not null, version integer not null,
    event_id ${id} not null, event_type ${id} not null, event_version integer not null, aggregate_type ${id} not null, aggregate_id ${id} not null,
    tenant_id ${id}, occurred_at datetime(3) not null, actor_id ${id}, correlation_id ${id} not null, causation_id ${id}, metadata json not null,
    data json not null, stored_at datetime(3) not null default current_timestamp(3), unique (stream_id, version))
    engine = InnoDB default charset = utf8mb4 collate = utf8mb4_bin`);
  const parse = (r: RawRow) => (typeof r.data === 'string' ? parsed(r) : r);
  return {
    async append(streamId, aggregateType, first, events) {
      const occurredAt = new Date().toISOString().slice(0, 23).replace('T', ' ');
      const rows = events.map((e, i) => values(streamId, aggregateType, first + i, e, occurredAt));
      await pool.query(`insert into raw_events (${COLUMNS}) values ?`, [rows]);
    },
    async readStream(streamId) {
      const [rows] = await pool.query('select * from raw_events where stream_id = ? order by version', [streamId]);
      return (rows as RawRow[]).map(parse);
    },
    async readPage(after, limit) {
      const [rows] = await pool.query('select * from raw_events where position > ? order by position limit ?', [
        after,
        limit,
      ]);
      return (rows as RawRow[]).map(parse);
    },
  };
}

export async function rawSqlite(db: Database): Promise<RawDriver> {
  db.exec(`create table raw_events (position integer primary key autoincrement, stream_id text not null, version integer not null,
    event_id text not null, event_type text not null, event_version integer not null, aggregate_type text not null, aggregate_id text not null,
    tenant_id text, occurred_at text not null, actor_id text, correlation_id text not null, causation_id text, metadata text not null,
    data text not null, stored_at text not null, unique (stream_id, version))`);
  const inserts = new Map<number, ReturnType<Database['prepare']>>();
  const insert = (n: number) => {
    let statement = inserts.get(n);
    if (!statement) {
      const tuple = `(${Array(15).fill('?').join(', ')})`;
      inserts.set(
        n,
        (statement = db.prepare(
          `insert into raw_events (${COLUMNS}, stored_at) values ${Array(n).fill(tuple).join(', ')}`,
        )),
      );
    }
    return statement;
  };
  const stream = db.prepare('select * from raw_events where stream_id = ? order by version');
  const page = db.prepare('select * from raw_events where position > ? order by position limit ?');
  return {
    async append(streamId, aggregateType, first, events) {
      const now = new Date().toISOString();
      const params = events.flatMap((e, i) => [...values(streamId, aggregateType, first + i, e, now), now]);
      db.transaction(() => insert(events.length).run(params))();
    },
    async readStream(streamId) {
      return (stream.all(streamId) as RawRow[]).map(parsed);
    },
    async readPage(after, limit) {
      return (page.all(after, limit) as RawRow[]).map(parsed);
    },
  };
}
