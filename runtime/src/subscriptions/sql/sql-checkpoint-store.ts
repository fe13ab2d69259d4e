import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import { Position } from '../../store/position.js';
import {
  samePosition,
  type Checkpoint,
  type CheckpointStore,
  type SaveCheckpointOptions,
} from '../checkpoint-store.js';
import { CheckpointConflictError } from '../subscription-errors.js';
import { checkTenantId } from '../tenant-view.js';
import { detectDialect, msToDate, type SqlDialectName } from '../../store/sql/sql-dialect.js';
import { SubscriptionTable, type SubscriptionTables } from './subscription-tables.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

const TABLE = SubscriptionTable.checkpoints;

/**
 * Checkpoints in a SQL table (`eventsmith_checkpoints`, created by `migrateSubscriptionTables`),
 * on PostgreSQL, SQLite or MariaDB/MySQL. `save` joins the transaction passed in
 * `options.transaction`, so a projection's rows and its checkpoint commit together. Saves are
 * compare-and-set on the stored position token and never move a checkpoint backwards. Rows are
 * keyed by (tenant, name): a view made with `forTenant` keeps its tenant's, the store its own
 * (`tenant_id` `''`).
 *
 * @example
 * ```ts
 * const checkpoints = new SqlCheckpointStore(store.db);
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters: new SqlDeadLetterQueue(store.db) });
 * ```
 */
export class SqlCheckpointStore implements CheckpointStore {
  readonly durable = true;
  readonly transactional = true;
  readonly #db: Kysely<SubscriptionTables>;
  readonly #dialect: SqlDialectName;
  /** The `tenant_id` key of this view's rows. */
  #tenant = '';

  constructor(db: Kysely<any>, options: { dialect?: SqlDialectName } = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? detectDialect(db);
  }

  async load(name: string): Promise<Position | null> {
    return this.#read(this.#db, name);
  }

  async save(name: string, position: Position, options: SaveCheckpointOptions = {}): Promise<boolean> {
    const db = (options.transaction as Kysely<SubscriptionTables> | undefined) ?? this.#db;
    if (options.expected !== undefined) return this.#compareAndSet(db, name, options.expected, position);
    // Monotonic: re-read and compare-and-set until the stored position is at or after ours.
    for (;;) {
      const current = await this.#read(db, name);
      if (current && !position.isAfter(current)) return false;
      try {
        return await this.#compareAndSet(db, name, current, position);
      } catch (error) {
        if (!(error instanceof CheckpointConflictError)) throw error;
      }
    }
  }

  async reset(name: string, position: Position | null, options: { transaction?: unknown } = {}): Promise<void> {
    const db = (options.transaction as Kysely<SubscriptionTables> | undefined) ?? this.#db;
    await db.deleteFrom(TABLE).where('tenant_id', '=', this.#tenant).where('name', '=', name).execute();
    if (position)
      await db
        .insertInto(TABLE)
        .values({ tenant_id: this.#tenant, name, position: position.toString(), updated_at: Date.now() })
        .execute();
  }

  async list(): Promise<Checkpoint[]> {
    const rows = await this.#db
      .selectFrom(TABLE)
      .selectAll()
      .where('tenant_id', '=', this.#tenant)
      .orderBy('name')
      .execute();
    const tenant = this.#tenant === '' ? {} : { tenantId: this.#tenant };
    return rows.map((row) => ({
      ...tenant,
      name: row.name,
      position: Position.parse(row.position),
      updatedAt: msToDate(row.updated_at),
    }));
  }

  forTenant(tenantId: string): SqlCheckpointStore {
    if (sameTenantView('checkpoint store', this.#tenant, checkTenantId(tenantId))) return this;
    const view = new SqlCheckpointStore(this.#db, { dialect: this.#dialect });
    view.#tenant = checkTenantId(tenantId);
    return view;
  }

  async #read(db: Kysely<SubscriptionTables>, name: string): Promise<Position | null> {
    const row = await db
      .selectFrom(TABLE)
      .select('position')
      .where('tenant_id', '=', this.#tenant)
      .where('name', '=', name)
      .executeTakeFirst();
    return row ? Position.parse(row.position) : null;
  }

  async #compareAndSet(
    db: Kysely<SubscriptionTables>,
    name: string,
    expected: Position | null,
    position: Position,
  ): Promise<boolean> {
    if (expected && samePosition(expected, position)) return false;
    const updatedAt = Date.now();
    let changed: number;
    if (expected === null) {
      const insert = db
        .insertInto(TABLE)
        .values({ tenant_id: this.#tenant, name, position: position.toString(), updated_at: updatedAt });
      const result = await (
        this.#dialect === 'mysql'
          ? insert.ignore()
          : insert.onConflict((oc) => oc.columns(['tenant_id', 'name']).doNothing())
      ).executeTakeFirst();
      changed = Number(result.numInsertedOrUpdatedRows ?? 0n);
    } else {
      const parameters = [position.toString(), updatedAt, this.#tenant, name, expected.toString()];
      const result = await executeCached(db, 'compare-and-set', parameters, () =>
        db
          .updateTable(TABLE)
          .set({ position: parameters[0] as string, updated_at: updatedAt })
          .where('tenant_id', '=', this.#tenant)
          .where('name', '=', name)
          .where('position', '=', parameters[4] as string),
      );
      changed = Number(result.numAffectedRows ?? 0n); // what the builder reports as numUpdatedRows
    }
    if (changed === 0) {
      const actual = await this.#read(db, name);
      throw new CheckpointConflictError(name, expected?.toString() ?? null, actual?.toString() ?? null);
    }
    return true;
  }
}

/**
 * Compiled statements by dialect adapter (one per Kysely instance and its transactions), then by
 * name: a checkpoint is saved once per batch, and building and compiling the same update every
 * time cost more than running it.
 */
const compiledStatements = new WeakMap<object, Map<string, CompiledQuery>>();

/**
 * Runs the statement `build` makes, whose parameters are `parameters` in this order: compiled
 * once, then run with new values bound. A Kysely with plugins (they may rewrite the statement)
 * gets a freshly built one every time.
 */
async function executeCached(
  db: Kysely<any>,
  name: string,
  parameters: readonly unknown[],
  build: () => Compilable<unknown>,
): Promise<QueryResult<unknown>> {
  const executor = db.getExecutor();
  if (executor.plugins.length > 0) return db.executeQuery(build().compile());
  let statements = compiledStatements.get(executor.adapter);
  if (!statements) compiledStatements.set(executor.adapter, (statements = new Map()));
  const compiled = statements.get(name);
  if (compiled) return db.executeQuery({ ...compiled, parameters });
  const fresh = build().compile();
  if (sameParameters(fresh.parameters, parameters)) statements.set(name, fresh);
  return db.executeQuery(fresh);
}

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
