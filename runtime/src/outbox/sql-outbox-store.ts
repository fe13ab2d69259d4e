import { createHash } from 'node:crypto';
import { sql, type Generated, type Kysely, type Selectable } from 'kysely';
import type { DomainEvent } from '../events/domain-event.js';
import { toEventRecord, type EventRecord } from '../events/event-record.js';
import { InvalidArgumentError } from '../errors.js';
import type { EventStoreTransaction } from '../store/event-store.js';
import { affected, detectDialect, msToDate, type SqlDialectName } from '../store/sql/sql-dialect.js';
import { SqlTable } from '../store/sql/sql-tables.js';
import { statementNamer } from '../store/sql/statement-naming.js';
import type { OutboxMessage, OutboxStats, OutboxStore } from './outbox-store.js';

/**
 * The outbox table (created by `migrateSubscriptionTables`, with the subscriptions' tables). Times
 * are epoch milliseconds in bigint columns.
 */
export interface OutboxTables {
  eventsmith_outbox: {
    id: Generated<number | string>;
    event_id: string;
    event_type: string;
    aggregate_type: string;
    aggregate_id: string;
    tenant_id: string | null;
    record: string;
    created_at: number | string;
    status: string;
    attempts: number;
    next_attempt_at: number | string;
    last_error: string | null;
    claimed_by: string | null;
    claim_expires_at: number | string | null;
    published_at: number | string | null;
  };
}

const TABLE = SqlTable.outbox;
/**
 * On PostgreSQL, an `add` of up to this many events runs its insert as a named (prepared)
 * statement on the transaction's connection: its text depends only on the number of events, so
 * each connection parses and plans it once per count instead of on every save.
 */
const NAMED_ADD_EVENTS = 16;
type Db = Kysely<OutboxTables>;
type Row = Selectable<OutboxTables[typeof TABLE]>;

/**
 * The outbox in a SQL table (`eventsmith_outbox`, created by `migrateSubscriptionTables`) on
 * PostgreSQL, SQLite or MariaDB/MySQL. `add` writes through the store transaction's Kysely
 * handle, so the rows commit with the append. Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL
 * and MariaDB (relays never wait on each other) and one atomic `UPDATE` on SQLite; either way a
 * claim is a lease that another relay takes over if its holder dies. In a `PostgresEventStore`
 * transaction, `add`'s insert (up to 16 events) runs as a named statement on the transaction's
 * connection, parsed and planned once per connection and event count.
 *
 * @example
 * ```ts
 * await migrateSubscriptionTables(store.db);
 * const outbox = new SqlOutboxStore(store.db);
 * await store.transaction(async (tx) => {
 *   await tx.appendToStream(streamId, events, { expectedVersion: 3 });
 *   await outbox.add(events, { transaction: tx });
 * });
 * ```
 */
export class SqlOutboxStore implements OutboxStore {
  readonly #db: Db;
  readonly #dialect: SqlDialectName;
  /** Insert texts' statement names (see `#statementName`). */
  readonly #names = new Map<string, string>();

  constructor(db: Kysely<any>, options: { dialect?: SqlDialectName } = {}) {
    this.#db = db;
    this.#dialect = options.dialect ?? detectDialect(db);
  }

  async add(events: readonly DomainEvent[], options: { transaction: EventStoreTransaction }): Promise<void> {
    if (events.length === 0) return;
    const db = options.transaction.sql as Db | undefined;
    if (!db) {
      throw new InvalidArgumentError(
        'SqlOutboxStore.add needs a transaction of a SQL event store (tx.sql is undefined); use InMemoryOutboxStore with the in-memory store.',
      );
    }
    const now = Date.now();
    const insert = db.insertInto(TABLE).values(
      events.map((event) => {
        const record = toEventRecord(event);
        return {
          event_id: record.eventId,
          event_type: record.eventType,
          aggregate_type: record.aggregateType,
          aggregate_id: record.aggregateId,
          tenant_id: record.tenantId,
          record: JSON.stringify(record),
          created_at: now,
          status: 'pending',
          attempts: 0,
          next_attempt_at: 0,
        };
      }),
    );
    const namer =
      this.#dialect === 'postgres' && events.length <= NAMED_ADD_EVENTS
        ? statementNamer(options.transaction)
        : undefined;
    if (namer === undefined) {
      await insert.execute();
      return;
    }
    // Every column is given for every event, so the text depends only on the event count.
    const compiled = insert.compile();
    namer(compiled.sql, this.#statementName(compiled.sql));
    await db.executeQuery(compiled);
  }

  /** The named statement's name for an insert text: a hash of it, so a name stands for one text. */
  #statementName(text: string): string {
    let name = this.#names.get(text);
    if (name === undefined) {
      name = `eventsmith_outbox_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
      if (this.#names.size < 4 * NAMED_ADD_EVENTS) this.#names.set(text, name);
    }
    return name;
  }

  async claim(owner: string, options: { limit: number; leaseMs: number }): Promise<OutboxMessage[]> {
    const now = Date.now();
    const expires = now + options.leaseMs;
    if (this.#dialect === 'sqlite') return this.#claimSqlite(owner, options.limit, now, expires);
    return this.#db.transaction().execute(async (trx) => {
      const candidates = await claimable(trx.selectFrom(TABLE).select(['id', 'aggregate_type', 'aggregate_id']), now)
        .orderBy('id')
        .limit(options.limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (candidates.length === 0) return [];
      // Rows of other relays' open claims are locked (skipped above) but still pending: a row is
      // kept only if every pending row of its aggregate before it is in this claim too.
      const before = await trx
        .selectFrom(`${TABLE} as o`)
        .select(['o.id'])
        .select((eb) =>
          eb
            .selectFrom(`${TABLE} as e`)
            .select((e) => e.fn.countAll<number | string>().as('n'))
            .whereRef('e.aggregate_type', '=', 'o.aggregate_type')
            .whereRef('e.aggregate_id', '=', 'o.aggregate_id')
            .where('e.status', '=', 'pending')
            .whereRef('e.id', '<', 'o.id')
            .as('before'),
        )
        .where(
          'o.id',
          'in',
          candidates.map((c) => c.id),
        )
        .execute();
      const earlier = new Map(before.map((row) => [String(row.id), Number(row.before)]));
      const seen = new Map<string, number>();
      const blocked = new Set<string>();
      const keep: (string | number)[] = [];
      for (const candidate of candidates) {
        const key = `${candidate.aggregate_type}\u0000${candidate.aggregate_id}`;
        const mine = seen.get(key) ?? 0;
        if (blocked.has(key) || earlier.get(String(candidate.id)) !== mine) {
          blocked.add(key);
          continue;
        }
        seen.set(key, mine + 1);
        keep.push(candidate.id);
      }
      if (keep.length === 0) return [];
      await trx
        .updateTable(TABLE)
        .set({ claimed_by: owner, claim_expires_at: expires })
        .where('id', 'in', keep)
        .execute();
      const rows = await trx.selectFrom(TABLE).selectAll().where('id', 'in', keep).orderBy('id').execute();
      return rows.map(toMessage);
    });
  }

  async markPublished(ids: readonly string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable(TABLE)
      .set({ status: 'published', published_at: Date.now(), claimed_by: null, claim_expires_at: null })
      .where('id', 'in', [...ids])
      .where('claimed_by', '=', owner)
      .execute();
  }

  async markFailed(ids: readonly string[], owner: string, error: string, retryAt: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable(TABLE)
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        last_error: error,
        next_attempt_at: retryAt.getTime(),
        claimed_by: null,
        claim_expires_at: null,
      }))
      .where('id', 'in', [...ids])
      .where('claimed_by', '=', owner)
      .execute();
  }

  async cleanupPublished(options: { olderThan?: Date } = {}): Promise<number> {
    let query = this.#db.deleteFrom(TABLE).where('status', '=', 'published');
    if (options.olderThan) query = query.where('published_at', '<', options.olderThan.getTime());
    return affected(await query.executeTakeFirst());
  }

  async stats(): Promise<OutboxStats> {
    const rows = await this.#db
      .selectFrom(TABLE)
      .select('status')
      .select((eb) => [
        eb.fn.countAll<number | string>().as('count'),
        eb.fn.min('created_at').as('oldest'),
        eb.fn.max('attempts').as('attempts'),
      ])
      .groupBy('status')
      .execute();
    const pending = rows.find((r) => r.status === 'pending');
    const published = rows.find((r) => r.status === 'published');
    return {
      pending: Number(pending?.count ?? 0),
      published: Number(published?.count ?? 0),
      oldestPendingAt: pending?.oldest != null ? msToDate(pending.oldest) : null,
      maxPendingAttempts: Number(pending?.attempts ?? 0),
    };
  }

  /** SQLite has one writer at a time, so a single UPDATE claims atomically. */
  async #claimSqlite(owner: string, limit: number, now: number, expires: number): Promise<OutboxMessage[]> {
    const token = `${owner}@${now}-${Math.random().toString(36).slice(2)}`;
    await this.#db
      .updateTable(TABLE)
      .set({ claimed_by: token, claim_expires_at: expires })
      .where('id', 'in', (eb) =>
        claimable(eb.selectFrom(`${TABLE} as o`).select('o.id'), now, 'o.')
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom(`${TABLE} as e`)
                  .select(sql<number>`1`.as('one'))
                  .whereRef('e.aggregate_type', '=', 'o.aggregate_type')
                  .whereRef('e.aggregate_id', '=', 'o.aggregate_id')
                  .where('e.status', '=', 'pending')
                  .whereRef('e.id', '<', 'o.id')
                  .where((e) =>
                    e.or([
                      e('e.next_attempt_at', '>', now),
                      e.and([e('e.claimed_by', 'is not', null), e('e.claim_expires_at', '>=', now)]),
                    ]),
                  ),
              ),
            ),
          )
          .orderBy('o.id')
          .limit(limit),
      )
      .execute();
    await this.#db.updateTable(TABLE).set({ claimed_by: owner }).where('claimed_by', '=', token).execute();
    const rows = await this.#db
      .selectFrom(TABLE)
      .selectAll()
      .where('claimed_by', '=', owner)
      .where('claim_expires_at', '=', expires)
      .where('status', '=', 'pending')
      .orderBy('id')
      .execute();
    return rows.map(toMessage);
  }
}

/** Pending rows that may be claimed now: not in backoff, not under someone's live lease. */
function claimable<Q extends { where: (...args: any[]) => Q }>(query: Q, now: number, prefix = ''): Q {
  return query
    .where(`${prefix}status`, '=', 'pending')
    .where(`${prefix}next_attempt_at`, '<=', now)
    .where((eb: any) => eb.or([eb(`${prefix}claimed_by`, 'is', null), eb(`${prefix}claim_expires_at`, '<', now)]));
}

function toMessage(row: Row): OutboxMessage {
  return {
    id: String(row.id),
    eventId: row.event_id,
    eventType: row.event_type,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    record: JSON.parse(row.record) as EventRecord,
    attempts: Number(row.attempts),
    createdAt: msToDate(row.created_at),
  };
}
