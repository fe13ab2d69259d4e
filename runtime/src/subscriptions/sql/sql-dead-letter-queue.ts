import { sql, type Kysely, type Selectable } from 'kysely';
import type { EventRecord } from '../../events/event-record.js';
import { Position } from '../../store/position.js';
import {
  statusSet,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type DeadLetterStats,
  type DeadLetterStatus,
  type NewDeadLetter,
} from '../dead-letter-queue.js';
import { DeadLetterEntryNotFoundError } from '../subscription-errors.js';
import { affected, detectDialect, msToDate, type SubscriptionSqlDialect } from './sql-dialect.js';
import { SubscriptionTable, type SubscriptionTables } from './subscription-tables.js';

const TABLE = SubscriptionTable.deadLetters;
type Row = Selectable<SubscriptionTables[typeof TABLE]>;

/**
 * The dead-letter queue in a SQL table (`eventsmith_dead_letters`, created by
 * `migrateSubscriptionTables`), on PostgreSQL, SQLite or MariaDB/MySQL. `add` is an upsert on
 * (subscription, event id) that adds the attempts, and can join the subscription's transaction.
 *
 * @example
 * ```ts
 * const deadLetters = new SqlDeadLetterQueue(store.db);
 * console.log(await deadLetters.stats());
 * ```
 */
export class SqlDeadLetterQueue implements DeadLetterQueue {
  readonly durable = true;
  readonly transactional = true;
  readonly #db: Kysely<SubscriptionTables>;
  readonly #dialect: SubscriptionSqlDialect;

  constructor(db: Kysely<any>, options: { dialect?: SubscriptionSqlDialect } = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? detectDialect(db);
  }

  async add(entry: NewDeadLetter, options: { transaction?: unknown } = {}): Promise<DeadLetterEntry> {
    const db = (options.transaction as Kysely<SubscriptionTables> | undefined) ?? this.#db;
    const now = Date.now();
    const values = {
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
    return toEntry(row);
  }

  async get(id: string): Promise<DeadLetterEntry | undefined> {
    const row = await this.#db.selectFrom(TABLE).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toEntry(row) : undefined;
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
    const statuses = statusSet(filter.status);
    let query = this.#db.selectFrom(TABLE).selectAll().orderBy('id').limit(filter.limit ?? 100);
    if (filter.subscription !== undefined) query = query.where('subscription', '=', filter.subscription);
    if (statuses) query = query.where('status', 'in', [...statuses]);
    if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
    return (await query.execute()).map(toEntry);
  }

  async markRetrying(id: string): Promise<boolean> {
    await this.#require(id);
    const result = await this.#db
      .updateTable(TABLE)
      .set({ status: 'retrying' })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return affected(result) > 0;
  }

  async release(id: string): Promise<void> {
    await this.#db.updateTable(TABLE).set({ status: 'pending' }).where('id', '=', id).where('status', '=', 'retrying').execute();
  }

  async resolve(id: string, options: { by?: string; transaction?: unknown } = {}): Promise<void> {
    const db = (options.transaction as Kysely<SubscriptionTables> | undefined) ?? this.#db;
    const result = await db
      .updateTable(TABLE)
      .set({ status: 'resolved', resolved_at: Date.now(), resolved_by: options.by ?? null })
      .where('id', '=', id)
      .executeTakeFirst();
    if (affected(result) === 0) throw new DeadLetterEntryNotFoundError(id);
  }

  async purgeResolved(options: { olderThan?: Date } = {}): Promise<number> {
    let query = this.#db.deleteFrom(TABLE).where('status', '=', 'resolved');
    if (options.olderThan) query = query.where('resolved_at', '<', options.olderThan.getTime());
    return affected(await query.executeTakeFirst());
  }

  async stats(): Promise<DeadLetterStats> {
    const rows = await this.#db
      .selectFrom(TABLE)
      .select(['subscription', 'status'])
      .select((eb) => [eb.fn.countAll<string | number>().as('count'), eb.fn.min('first_failed_at').as('oldest')])
      .groupBy(['subscription', 'status'])
      .execute();
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
      if (!entry) per.set(row.subscription, (entry = { subscription: row.subscription, pending: 0, retrying: 0, resolved: 0 }));
      entry[status] += count;
      if (status !== 'resolved' && row.oldest !== null) oldest = Math.min(oldest ?? Infinity, Number(row.oldest));
    }
    const bySubscription = [...per.values()].sort(
      (a, b) => b.pending + b.retrying - (a.pending + a.retrying) || (a.subscription < b.subscription ? -1 : 1),
    );
    return { total, byStatus, bySubscription, oldestUnresolvedAt: oldest === null ? null : new Date(oldest) };
  }

  async #require(id: string): Promise<void> {
    const row = await this.#db.selectFrom(TABLE).select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new DeadLetterEntryNotFoundError(id);
  }
}

function toEntry(row: Row): DeadLetterEntry {
  return {
    id: String(row.id),
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
