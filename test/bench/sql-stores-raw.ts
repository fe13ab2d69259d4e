/** The raw-driver baselines of sql-stores.bench.ts: equivalent rows, plain inserts, same work per call. */
import type { Database } from 'better-sqlite3';
import type { Pool as MysqlPool } from 'mysql2/promise';
import type pg from 'pg';
import type { EventRecord } from '@eventsmith/runtime';

export interface RawDriver {
  /** One transaction: insert the rows of one append (UNIQUE(stream_id, version) checks the version). */
  append(streamId: string, firstVersion: number, records: readonly EventRecord[]): Promise<void>;
  /** A stream's rows in version order, with their data parsed. */
  readStream(streamId: string): Promise<{ version: number; data: unknown }[]>;
  /** One page of every row after `after`, in position order, data parsed. */
  readPage(after: number, limit: number): Promise<{ position: number; data: unknown }[]>;
}

const COLUMNS =
  'stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id, occurred_at, actor_id, correlation_id, causation_id, metadata, data';

function values(streamId: string, version: number, r: EventRecord, occurredAt: unknown = r.occurredAt): unknown[] {
  return [
    streamId,
    version,
    r.eventId,
    r.eventType,
    r.eventVersion,
    r.aggregateType,
    r.aggregateId,
    r.tenantId,
    occurredAt,
    r.actorId,
    r.correlationId,
    r.causationId,
    JSON.stringify(r.metadata),
    JSON.stringify(r.data),
  ];
}

export async function rawPostgres(pool: pg.Pool): Promise<RawDriver> {
  await pool.query(`create table raw_events (position bigint generated always as identity primary key, stream_id text not null, version integer not null,
    event_id text not null, event_type text not null, event_version integer not null, aggregate_type text not null, aggregate_id text not null,
    tenant_id text, occurred_at timestamptz not null, actor_id text, correlation_id text not null, causation_id text, metadata jsonb not null,
    data jsonb not null, stored_at timestamptz not null default now(), unique (stream_id, version))`);
  return {
    async append(streamId, first, records) {
      const params: unknown[] = [];
      const rows = records.map((r, i) => {
        const base = params.length;
        params.push(...values(streamId, first + i, r));
        return `(${Array.from({ length: 14 }, (_, k) => `$${base + k + 1}`).join(', ')})`;
      });
      await pool.query(`insert into raw_events (${COLUMNS}) values ${rows.join(', ')}`, params);
    },
    async readStream(streamId) {
      const { rows } = await pool.query(
        `select ${COLUMNS}, position, stored_at from raw_events where stream_id = $1 order by version`,
        [streamId],
      );
      return rows as { version: number; data: unknown }[];
    },
    async readPage(after, limit) {
      const { rows } = await pool.query(
        `select ${COLUMNS}, position, stored_at from raw_events where position > $1 order by position limit $2`,
        [after, limit],
      );
      return rows.map((r: { position: string; data: unknown }) => ({ ...r, position: Number(r.position) }));
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
  const ts = (iso: string) => iso.slice(0, 23).replace('T', ' ');
  return {
    async append(streamId, first, records) {
      const rows = records.map((r, i) => values(streamId, first + i, r, ts(r.occurredAt)));
      await pool.query(`insert into raw_events (${COLUMNS}) values ?`, [rows]);
    },
    async readStream(streamId) {
      const [rows] = await pool.query(
        `select ${COLUMNS}, position, stored_at from raw_events where stream_id = ? order by version`,
        [streamId],
      );
      return (rows as { version: number; data: string; metadata: string }[]).map((r) => ({
        ...r,
        metadata: JSON.parse(r.metadata),
        data: JSON.parse(r.data),
      }));
    },
    async readPage(after, limit) {
      const [rows] = await pool.query(
        `select ${COLUMNS}, position, stored_at from raw_events where position > ? order by position limit ?`,
        [after, limit],
      );
      return (rows as { position: string; data: string; metadata: string }[]).map((r) => ({
        ...r,
        position: Number(r.position),
        metadata: JSON.parse(r.metadata),
        data: JSON.parse(r.data),
      }));
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
  const stream = db.prepare(
    `select ${COLUMNS}, position, stored_at from raw_events where stream_id = ? order by version`,
  );
  const page = db.prepare(
    `select ${COLUMNS}, position, stored_at from raw_events where position > ? order by position limit ?`,
  );
  return {
    async append(streamId, first, records) {
      const storedAt = new Date().toISOString();
      const params = records.flatMap((r, i) => [...values(streamId, first + i, r), storedAt]);
      db.transaction(() => insert(records.length).run(params))();
    },
    async readStream(streamId) {
      return (stream.all(streamId) as { version: number; data: string; metadata: string }[]).map((r) => ({
        ...r,
        metadata: JSON.parse(r.metadata),
        data: JSON.parse(r.data),
      }));
    },
    async readPage(after, limit) {
      return (page.all(after, limit) as { position: number; data: string; metadata: string }[]).map((r) => ({
        ...r,
        metadata: JSON.parse(r.metadata),
        data: JSON.parse(r.data),
      }));
    },
  };
}
