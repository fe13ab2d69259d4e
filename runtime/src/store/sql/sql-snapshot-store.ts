import { sql, type Kysely } from 'kysely';
import { InvalidArgumentError } from '../../errors.js';
import type { JsonValue } from '../../events/json.js';
import type { Snapshot, SnapshotStore } from '../../snapshots/snapshot-store.js';
import { currentExecutor } from './ambient-transaction.js';
import type { EventStoreTables, SqlDialectName } from './event-store-tables.js';

interface SnapshotRow {
  aggregate_type: string;
  aggregate_id: string;
  version: number;
  state_version: number;
  state: unknown;
  created_at: Date | string;
}

/**
 * The snapshot store shared by the SQL adapters: one row per aggregate in `eventsmith_snapshots`,
 * replaced only by a snapshot at the same or a higher version (the guard is in the upsert, so two
 * racing saves cannot move it backwards). Called inside `store.transaction()`, it writes through
 * that transaction.
 */
export abstract class SqlSnapshotStore implements SnapshotStore {
  readonly #db: Kysely<EventStoreTables>;
  readonly #dialect: SqlDialectName;

  protected constructor(db: Kysely<EventStoreTables>, dialect: SqlDialectName) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async save(snapshot: Snapshot): Promise<void> {
    if (!Number.isInteger(snapshot.version) || snapshot.version < 0) {
      throw new InvalidArgumentError(`Snapshot version must be an integer ≥ 0, got ${snapshot.version}.`);
    }
    const row = {
      aggregate_type: snapshot.aggregateType,
      aggregate_id: snapshot.aggregateId,
      version: snapshot.version,
      state_version: snapshot.stateVersion,
      state: JSON.stringify(snapshot.state),
      created_at: this.#timestamp(snapshot.createdAt),
    };
    const db = currentExecutor(this.#db) as Kysely<EventStoreTables>;
    if (this.#dialect === 'mysql') {
      // Assignments run left to right, so `version` is updated last, after the others read it.
      const newer = sql<boolean>`eventsmith_snapshots.version <= values(version)`;
      await db
        .insertInto('eventsmith_snapshots')
        .values(row)
        .onDuplicateKeyUpdate({
          state_version: sql`if(${newer}, values(state_version), eventsmith_snapshots.state_version)`,
          state: sql`if(${newer}, values(state), eventsmith_snapshots.state)`,
          created_at: sql`if(${newer}, values(created_at), eventsmith_snapshots.created_at)`,
          version: sql`if(${newer}, values(version), eventsmith_snapshots.version)`,
        })
        .execute();
      return;
    }
    await db
      .insertInto('eventsmith_snapshots')
      .values(this.#dialect === 'postgres' ? { ...row, state: sql`${row.state}::jsonb` } : row)
      .onConflict((oc) =>
        oc
          .columns(['aggregate_type', 'aggregate_id'])
          .doUpdateSet((eb) => ({
            version: eb.ref('excluded.version'),
            state_version: eb.ref('excluded.state_version'),
            state: eb.ref('excluded.state'),
            created_at: eb.ref('excluded.created_at'),
          }))
          .where('eventsmith_snapshots.version', '<=', (eb) => eb.ref('excluded.version')),
      )
      .execute();
  }

  async get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined> {
    const row = (await (currentExecutor(this.#db) as Kysely<EventStoreTables>)
      .selectFrom('eventsmith_snapshots')
      .selectAll()
      .where('aggregate_type', '=', aggregateType)
      .where('aggregate_id', '=', aggregateId)
      .executeTakeFirst()) as SnapshotRow | undefined;
    if (!row) return undefined;
    return {
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      version: Number(row.version),
      stateVersion: Number(row.state_version),
      state: (this.#dialect === 'postgres' ? row.state : JSON.parse(row.state as string)) as JsonValue,
      createdAt: this.#date(row.created_at),
    };
  }

  async delete(aggregateType: string, aggregateId: string): Promise<void> {
    await currentExecutor(this.#db)
      .deleteFrom('eventsmith_snapshots')
      .where('aggregate_type', '=', aggregateType)
      .where('aggregate_id', '=', aggregateId)
      .execute();
  }

  async deleteByType(aggregateType: string, stateVersionBelow?: number): Promise<number> {
    let query = currentExecutor(this.#db).deleteFrom('eventsmith_snapshots').where('aggregate_type', '=', aggregateType);
    if (stateVersionBelow !== undefined) query = query.where('state_version', '<', stateVersionBelow);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  #timestamp(date: Date): string {
    const iso = date.toISOString();
    // DATETIME(3) takes 'YYYY-MM-DD HH:MM:SS.mmm' and no zone; the store always writes UTC.
    return this.#dialect === 'mysql' ? iso.slice(0, 23).replace('T', ' ') : iso;
  }

  #date(value: Date | string): Date {
    if (value instanceof Date) return value;
    return new Date(this.#dialect === 'mysql' ? `${value.replace(' ', 'T')}Z` : value);
  }
}
