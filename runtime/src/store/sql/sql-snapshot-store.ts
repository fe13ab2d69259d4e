import { sql, type Kysely } from 'kysely';
import { InvalidArgumentError } from '../../errors.js';
import type { JsonValue } from '../../events/json.js';
import { snapshotScope, type SnapshotScope } from '../../snapshots/snapshot-scope.js';
import type { Snapshot, SnapshotStore } from '../../snapshots/snapshot-store.js';
import { gateOfDatabase } from '../store-gate.js';
import { currentTransaction } from './ambient-transaction.js';
import type { EventStoreTables, SqlDialectName } from './event-store-tables.js';
import { TENANT_SETTING } from './migrations/rls-0001-tenant-policies.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

type Db = Kysely<EventStoreTables>;

interface SnapshotRow {
  aggregate_type: string;
  aggregate_id: string;
  version: number;
  state_version: number;
  fingerprint: string | null;
  state: unknown;
  created_at: Date | string;
}

/**
 * The snapshot store shared by the SQL adapters: one row per tenant and aggregate in
 * `eventsmith_snapshots` (`tenant_id` is `''` for the unscoped store's own snapshots), replaced
 * only by a snapshot at the same or a higher version (the guard is in the upsert, so two racing
 * saves cannot move it backwards). Called inside `store.transaction()`, it works through that
 * transaction. On PostgreSQL with row-level security on the table, a tenant view runs each
 * operation outside such a transaction in one of its own with `eventsmith.tenant_id` set.
 *
 * Made on an event store's `db`, it closes with that store: once the store's `close()` has begun,
 * its operations fail with `EventStoreClosedError`, and `close()` waits for those in progress.
 */
export abstract class SqlSnapshotStore implements SnapshotStore {
  readonly #db: Db;
  readonly #dialect: SqlDialectName;
  readonly #scope: SnapshotScope;

  protected constructor(db: Db, dialect: SqlDialectName, tenantId?: string) {
    this.#db = db;
    this.#dialect = dialect;
    this.#scope = snapshotScope(tenantId);
  }

  async save(snapshot: Snapshot): Promise<void> {
    if (!Number.isInteger(snapshot.version) || snapshot.version < 0) {
      throw new InvalidArgumentError(`Snapshot version must be an integer ≥ 0, got ${snapshot.version}.`);
    }
    this.#scope.stamp(snapshot);
    const row = {
      tenant_id: this.#scope.key,
      aggregate_type: snapshot.aggregateType,
      aggregate_id: snapshot.aggregateId,
      version: snapshot.version,
      state_version: snapshot.stateVersion,
      fingerprint: snapshot.fingerprint ?? null,
      state: JSON.stringify(snapshot.state),
      created_at: this.#timestamp(snapshot.createdAt),
    };
    await this.#run(async (db) => {
      if (this.#dialect === 'mysql') {
        // Assignments run left to right, so `version` is updated last, after the others read it.
        const newer = sql<boolean>`eventsmith_snapshots.version <= values(version)`;
        await db
          .insertInto('eventsmith_snapshots')
          .values(row)
          .onDuplicateKeyUpdate({
            state_version: sql`if(${newer}, values(state_version), eventsmith_snapshots.state_version)`,
            fingerprint: sql`if(${newer}, values(fingerprint), eventsmith_snapshots.fingerprint)`,
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
            .columns(['tenant_id', 'aggregate_type', 'aggregate_id'])
            .doUpdateSet((eb) => ({
              version: eb.ref('excluded.version'),
              state_version: eb.ref('excluded.state_version'),
              fingerprint: eb.ref('excluded.fingerprint'),
              state: eb.ref('excluded.state'),
              created_at: eb.ref('excluded.created_at'),
            }))
            .where('eventsmith_snapshots.version', '<=', (eb) => eb.ref('excluded.version')),
        )
        .execute();
    });
  }

  async get(aggregateType: string, aggregateId: string): Promise<Snapshot | undefined> {
    const row = (await this.#run((db) =>
      db
        .selectFrom('eventsmith_snapshots')
        .select(['aggregate_type', 'aggregate_id', 'version', 'state_version', 'fingerprint', 'state', 'created_at'])
        .where('tenant_id', '=', this.#scope.key)
        .where('aggregate_type', '=', aggregateType)
        .where('aggregate_id', '=', aggregateId)
        .executeTakeFirst(),
    )) as SnapshotRow | undefined;
    if (!row) return undefined;
    return {
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      ...(this.#scope.tenantId !== undefined ? { tenantId: this.#scope.tenantId } : {}),
      version: Number(row.version),
      stateVersion: Number(row.state_version),
      ...(row.fingerprint !== null ? { fingerprint: row.fingerprint } : {}),
      state: (this.#dialect === 'postgres' ? row.state : JSON.parse(row.state as string)) as JsonValue,
      createdAt: this.#date(row.created_at),
    };
  }

  async delete(aggregateType: string, aggregateId: string): Promise<void> {
    await this.#run((db) =>
      db
        .deleteFrom('eventsmith_snapshots')
        .where('tenant_id', '=', this.#scope.key)
        .where('aggregate_type', '=', aggregateType)
        .where('aggregate_id', '=', aggregateId)
        .execute(),
    );
  }

  async deleteByType(aggregateType: string, stateVersionBelow?: number): Promise<number> {
    return this.#run(async (db) => {
      let query = db.deleteFrom('eventsmith_snapshots').where('aggregate_type', '=', aggregateType);
      if (this.#scope.tenantId !== undefined) query = query.where('tenant_id', '=', this.#scope.key);
      if (stateVersionBelow !== undefined) query = query.where('state_version', '<', stateVersionBelow);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  forTenant(tenantId: string): SqlSnapshotStore {
    if (sameTenantView('snapshot store', this.#scope.tenantId, tenantId)) return this;
    return new SqlSnapshotStoreView(this.#db, this.#dialect, snapshotScope(tenantId).key);
  }

  /**
   * Runs `fn` as an operation of the event store whose `db` this is (refused once it is closing),
   * in the ambient store transaction, or for a tenant view under row-level security in one with
   * the tenant set.
   */
  #run<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const gate = gateOfDatabase(this.#db);
    return gate ? gate.run(() => this.#runOn(fn)) : this.#runOn(fn);
  }

  async #runOn<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const ambient = currentTransaction(this.#db) as Db | undefined;
    if (ambient) return fn(ambient);
    const tenantId = this.#scope.tenantId;
    if (this.#dialect !== 'postgres' || tenantId === undefined || !(await rowLevelSecurityOn(this.#db)))
      return fn(this.#db);
    return this.#db.transaction().execute(async (trx) => {
      await sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`.execute(trx);
      return fn(trx);
    });
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

/** A tenant view of a SQL snapshot store (made by `forTenant`). */
class SqlSnapshotStoreView extends SqlSnapshotStore {
  constructor(db: Db, dialect: SqlDialectName, tenantId: string) {
    super(db, dialect, tenantId);
  }
}

const rowLevelSecurity = new WeakMap<Db, Promise<boolean>>();

/** Whether PostgreSQL enforces row-level security on the snapshots table (asked once per database handle). */
function rowLevelSecurityOn(db: Db): Promise<boolean> {
  let on = rowLevelSecurity.get(db);
  if (!on) {
    on = sql<{ on: boolean }>`select relrowsecurity as on from pg_class where oid = to_regclass('eventsmith_snapshots')`
      .execute(db)
      .then((result) => result.rows[0]?.on === true);
    on.catch(() => rowLevelSecurity.delete(db));
    rowLevelSecurity.set(db, on);
  }
  return on;
}
