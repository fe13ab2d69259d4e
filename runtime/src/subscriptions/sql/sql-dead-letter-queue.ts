import { sql, type Kysely, type Selectable } from 'kysely';
import type { EventRecord } from '../../events/event-record.js';
import { Position } from '../../store/position.js';
import { TENANT_SETTING } from '../../store/sql/migrations/rls-0001-tenant-policies.js';
import {
  statusSet,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type DeadLetterStats,
  type DeadLetterStatus,
  type NewDeadLetter,
} from '../dead-letter-queue.js';
import { checkAfterId, isDeadLetterId } from '../dead-letter-id.js';
import { DeadLetterEntryNotFoundError } from '../subscription-errors.js';
import { checkTenantId, deadLetterTenant } from '../tenant-view.js';
import { affected, detectDialect, msToDate, type SqlDialectName } from '../../store/sql/sql-dialect.js';
import { SubscriptionTable, type SubscriptionTables } from './subscription-tables.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

const TABLE = SubscriptionTable.deadLetters;
/** A row of `eventsmith_dead_letters` as the database returns it. */
export type DeadLetterRow = Selectable<SubscriptionTables[typeof TABLE]>;
type Db = Kysely<SubscriptionTables>;

/**
 * The dead-letter queue in a SQL table (`eventsmith_dead_letters`, created by
 * `migrateSubscriptionTables`), on PostgreSQL, SQLite or MariaDB/MySQL. `add` is an upsert on
 * (subscription, event id) that adds the attempts, and can join the subscription's transaction.
 * Each row carries its event's tenant (`tenant_id`); a view made with `forTenant` reads and writes
 * only that tenant's rows. On PostgreSQL with row-level security on the table
 * (`migrateSubscriptionTables(db, 'postgres', { rowLevelSecurity: true })`), a tenant view sets
 * `eventsmith.tenant_id` in the transaction it is given, or runs in one of its own with it set.
 *
 * @example
 * ```ts
 * const deadLetters = new SqlDeadLetterQueue(store.db);
 * console.log(await deadLetters.stats(), await deadLetters.forTenant('acme').stats());
 * ```
 */
export class SqlDeadLetterQueue implements DeadLetterQueue {
  readonly durable = true;
  readonly transactional = true;
  readonly #db: Db;
  readonly #dialect: SqlDialectName;
  #tenantId: string | undefined;

  constructor(db: Kysely<any>, options: { dialect?: SqlDialectName } = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? detectDialect(db);
  }

  async add(entry: NewDeadLetter, options: { transaction?: unknown } = {}): Promise<DeadLetterEntry> {
    const tenantId = deadLetterTenant(entry, this.#tenantId);
    return this.#run(options.transaction, async (db) => {
      const now = Date.now();
      const values = {
        tenant_id: tenantId,
        subscription: entry.subscription,
        event_id: entry.eventId,
        event_type: entry.eventType,
        stream_id: entry.streamId,
        position: entry.position.toString(),
        stored_at: entry.storedAt.getTime(),
        record: JSON.stringify(entry.record),
        error: entry.error,
        stack: entry.stack ?? null,
        attempts: entry.attempts,
        status: 'pending',
        first_failed_at: now,
        last_failed_at: now,
        resolved_at: null,
        resolved_by: null,
      };
      const insert = db.insertInto(TABLE).values(values);
      if (this.#dialect === 'mysql') {
        await insert
          .onDuplicateKeyUpdate({
            attempts: sql`attempts + values(attempts)`,
            error: sql`values(error)`,
            stack: sql`values(stack)`,
            status: 'pending',
            last_failed_at: now,
            resolved_at: null,
            resolved_by: null,
          })
          .execute();
      } else {
        await insert
          .onConflict((oc) =>
            oc.columns(['subscription', 'event_id']).doUpdateSet((eb) => ({
              attempts: sql`${sql.ref(`${TABLE}.attempts`)} + ${eb.ref('excluded.attempts')}`,
              error: eb.ref('excluded.error'),
              stack: eb.ref('excluded.stack'),
              status: 'pending',
              last_failed_at: now,
              resolved_at: null,
              resolved_by: null,
            })),
          )
          .execute();
      }
      const row = await db
        .selectFrom(TABLE)
        .selectAll()
        .where('subscription', '=', entry.subscription)
        .where('event_id', '=', entry.eventId)
        .executeTakeFirstOrThrow();
      return deadLetterFromRow(row);
    });
  }

  async get(id: string): Promise<DeadLetterEntry | undefined> {
    if (!isDeadLetterId(id)) return undefined;
    const row = await this.#run(undefined, (db) =>
      this.#own(db.selectFrom(TABLE).selectAll().where('id', '=', id)).executeTakeFirst(),
    );
    return row ? deadLetterFromRow(row) : undefined;
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
    const statuses = statusSet(filter.status);
    const afterId = checkAfterId(filter.afterId);
    const rows = await this.#run(undefined, (db) => {
      let query = this.#own(
        db
          .selectFrom(TABLE)
          .selectAll()
          .orderBy('id')
          .limit(filter.limit ?? 100),
      );
      if (filter.subscription !== undefined) query = query.where('subscription', '=', filter.subscription);
      if (statuses) query = query.where('status', 'in', [...statuses]);
      if (afterId !== undefined) query = query.where('id', '>', afterId);
      return query.execute();
    });
    return rows.map(deadLetterFromRow);
  }

  async markRetrying(id: string): Promise<boolean> {
    return this.#run(undefined, async (db) => {
      await this.#require(db, id);
      const retrying = db
        .updateTable(TABLE)
        .set({ status: 'retrying' })
        .where('id', '=', id)
        .where('status', '=', 'pending');
      const result = await this.#own(retrying).executeTakeFirst();
      return affected(result) > 0;
    });
  }

  async release(id: string): Promise<void> {
    if (!isDeadLetterId(id)) return;
    await this.#run(undefined, (db) =>
      this.#own(
        db.updateTable(TABLE).set({ status: 'pending' }).where('id', '=', id).where('status', '=', 'retrying'),
      ).execute(),
    );
  }

  async resolve(id: string, options: { by?: string; transaction?: unknown } = {}): Promise<void> {
    if (!isDeadLetterId(id)) throw new DeadLetterEntryNotFoundError(id);
    const result = await this.#run(options.transaction, (db) =>
      this.#own(
        db
          .updateTable(TABLE)
          .set({ status: 'resolved', resolved_at: Date.now(), resolved_by: options.by ?? null })
          .where('id', '=', id),
      ).executeTakeFirst(),
    );
    if (affected(result) === 0) throw new DeadLetterEntryNotFoundError(id);
  }

  async firstUnresolved(subscription: string, upTo: Position): Promise<DeadLetterEntry | undefined> {
    // A stored position is the token `<store id>@<digits>` (digits without leading zeros): one of
    // this store's is at or before `upTo` when it has fewer characters, or as many and sorts no
    // later (its digits then differ from upTo's only where a digit's order decides, whatever the
    // collation). SQL string functions count characters, as `[...text].length` does.
    const token = upTo.toString();
    const prefix = `${upTo.storeId}@`;
    const chars = sql.raw(this.#dialect === 'sqlite' ? 'length' : 'char_length');
    const length = sql<number>`${chars}(${sql.ref('position')})`;
    const row = await this.#run(undefined, (db) =>
      this.#own(
        db
          .selectFrom(TABLE)
          .selectAll()
          .where('subscription', '=', subscription)
          .where('status', 'in', ['pending', 'retrying'])
          .where(sql<string>`substr(${sql.ref('position')}, 1, ${[...prefix].length})`, '=', prefix)
          .where((eb) =>
            eb.or([
              eb(length, '<', [...token].length),
              eb.and([eb(length, '=', [...token].length), eb('position', '<=', token)]),
            ]),
          )
          .orderBy('status') // 'pending' sorts before 'retrying'
          .orderBy('id')
          .limit(1),
      ).executeTakeFirst(),
    );
    return row ? deadLetterFromRow(row) : undefined;
  }

  async purgeResolved(options: { olderThan?: Date } = {}): Promise<number> {
    return this.#run(undefined, async (db) => {
      let query = this.#own(db.deleteFrom(TABLE).where('status', '=', 'resolved'));
      if (options.olderThan) query = query.where('resolved_at', '<', options.olderThan.getTime());
      return affected(await query.executeTakeFirst());
    });
  }

  async stats(): Promise<DeadLetterStats> {
    const rows = await this.#run(undefined, (db) =>
      this.#own(
        db
          .selectFrom(TABLE)
          .select(['subscription', 'status'])
          .select((eb) => [eb.fn.countAll<string | number>().as('count'), eb.fn.min('first_failed_at').as('oldest')])
          .groupBy(['subscription', 'status']),
      ).execute(),
    );
    const byStatus: Record<DeadLetterStatus, number> = { pending: 0, retrying: 0, resolved: 0 };
    const per = new Map<string, { subscription: string; pending: number; retrying: number; resolved: number }>();
    let oldest: number | null = null;
    let total = 0;
    for (const row of rows) {
      const status = row.status as DeadLetterStatus;
      const count = Number(row.count);
      total += count;
      byStatus[status] += count;
      let entry = per.get(row.subscription);
      if (!entry)
        per.set(row.subscription, (entry = { subscription: row.subscription, pending: 0, retrying: 0, resolved: 0 }));
      entry[status] += count;
      if (status !== 'resolved' && row.oldest !== null) oldest = Math.min(oldest ?? Infinity, Number(row.oldest));
    }
    const bySubscription = [...per.values()].sort(
      (a, b) => b.pending + b.retrying - (a.pending + a.retrying) || (a.subscription < b.subscription ? -1 : 1),
    );
    return { total, byStatus, bySubscription, oldestUnresolvedAt: oldest === null ? null : new Date(oldest) };
  }

  forTenant(tenantId: string): SqlDeadLetterQueue {
    if (sameTenantView('dead-letter queue', this.#tenantId, checkTenantId(tenantId))) return this;
    const view = new SqlDeadLetterQueue(this.#db, { dialect: this.#dialect });
    view.#tenantId = checkTenantId(tenantId);
    return view;
  }

  /** `query` restricted to this view's tenant (the whole queue: every row). */
  #own<Q extends { where(column: 'tenant_id', op: '=', value: string): Q }>(query: Q): Q {
    return this.#tenantId === undefined ? query : query.where('tenant_id', '=', this.#tenantId);
  }

  /**
   * Runs `fn` in `transaction` (if given) or on the database; for a tenant view under PostgreSQL
   * row-level security, with `eventsmith.tenant_id` set in that transaction or in one of its own.
   */
  async #run<T>(transaction: unknown, fn: (db: Db) => Promise<T>): Promise<T> {
    const given = transaction as Db | undefined;
    const tenantId = this.#tenantId;
    if (this.#dialect !== 'postgres' || tenantId === undefined || !(await rowLevelSecurityOn(this.#db)))
      return fn(given ?? this.#db);
    const scoped = async (db: Db) => {
      await sql`select set_config(${TENANT_SETTING}, ${tenantId}, true)`.execute(db);
      return fn(db);
    };
    return given ? scoped(given) : this.#db.transaction().execute(scoped);
  }

  async #require(db: Db, id: string): Promise<void> {
    if (!isDeadLetterId(id)) throw new DeadLetterEntryNotFoundError(id);
    const row = await this.#own(db.selectFrom(TABLE).select('id').where('id', '=', id)).executeTakeFirst();
    if (!row) throw new DeadLetterEntryNotFoundError(id);
  }
}

const rowLevelSecurity = new WeakMap<Kysely<any>, Promise<boolean>>();

/** Whether PostgreSQL enforces row-level security on the dead-letter table (asked once per database handle). */
function rowLevelSecurityOn(db: Kysely<any>): Promise<boolean> {
  let on = rowLevelSecurity.get(db);
  if (!on) {
    on = sql<{ on: boolean }>`select relrowsecurity as on from pg_class where oid = to_regclass(${TABLE})`
      .execute(db)
      .then((result) => result.rows[0]?.on === true);
    on.catch(() => rowLevelSecurity.delete(db));
    rowLevelSecurity.set(db, on);
  }
  return on;
}

/**
 * The entry a row of `eventsmith_dead_letters` holds, as the SQL queue's `list` and `get` return
 * it: for a query of your own on the table (one the queue does not offer, such as a join with the
 * checkpoints) that selects every column.
 *
 * @example
 * ```ts
 * const rows = await db.selectFrom('eventsmith_dead_letters').selectAll().where('attempts', '>', 5).execute();
 * const entries = rows.map(deadLetterFromRow);
 * ```
 */
export function deadLetterFromRow(row: DeadLetterRow): DeadLetterEntry {
  return {
    id: String(row.id),
    tenantId: row.tenant_id,
    subscription: row.subscription,
    eventId: row.event_id,
    eventType: row.event_type,
    streamId: row.stream_id,
    position: Position.parse(row.position),
    storedAt: msToDate(row.stored_at),
    record: JSON.parse(row.record) as EventRecord,
    error: row.error,
    stack: row.stack,
    attempts: Number(row.attempts),
    status: row.status as DeadLetterStatus,
    firstFailedAt: msToDate(row.first_failed_at),
    lastFailedAt: msToDate(row.last_failed_at),
    resolvedAt: row.resolved_at === null ? null : msToDate(row.resolved_at),
    resolvedBy: row.resolved_by,
  };
}
