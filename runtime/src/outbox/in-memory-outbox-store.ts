import type { DomainEvent } from '../events/domain-event.js';
import { toEventRecord } from '../events/event-record.js';
import type { EventStoreTransaction } from '../store/event-store.js';
import type { OutboxMessage, OutboxStats, OutboxStore } from './outbox-store.js';

interface Row {
  message: OutboxMessage;
  status: 'pending' | 'published';
  nextAttemptAt: number;
  claimedBy: string | null;
  claimExpiresAt: number;
  publishedAt: number | null;
  lastError: string | null;
}

/**
 * An outbox in process memory, for tests and the in-memory store. Rows are added when the store
 * transaction commits (`afterCommit`), so a rolled-back append leaves none.
 *
 * @example
 * ```ts
 * const outbox = new InMemoryOutboxStore();
 * const accounts = new AggregateRepository(store, BankAccount, { outbox });
 * ```
 */
export class InMemoryOutboxStore implements OutboxStore {
  readonly #rows: Row[] = [];
  #nextId = 1;

  async add(events: readonly DomainEvent[], options: { transaction: EventStoreTransaction }): Promise<void> {
    const records = events.map(toEventRecord);
    options.transaction.afterCommit(() => {
      for (const record of records) {
        this.#rows.push({
          message: {
            id: String(this.#nextId++),
            eventId: record.eventId,
            eventType: record.eventType,
            aggregateType: record.aggregateType,
            aggregateId: record.aggregateId,
            record,
            attempts: 0,
            createdAt: new Date(),
          },
          status: 'pending',
          nextAttemptAt: 0,
          claimedBy: null,
          claimExpiresAt: 0,
          publishedAt: null,
          lastError: null,
        });
      }
    });
  }

  async claim(owner: string, options: { limit: number; leaseMs: number }): Promise<OutboxMessage[]> {
    const now = Date.now();
    const blocked = new Set<string>();
    const claimed: OutboxMessage[] = [];
    for (const row of this.#rows) {
      if (row.status !== 'pending' || claimed.length >= options.limit) continue;
      const key = `${row.message.aggregateType}\u0000${row.message.aggregateId}`;
      const claimable = row.nextAttemptAt <= now && (row.claimedBy === null || row.claimExpiresAt < now);
      if (!claimable || blocked.has(key)) {
        blocked.add(key);
        continue;
      }
      row.claimedBy = owner;
      row.claimExpiresAt = now + options.leaseMs;
      claimed.push(row.message);
    }
    return claimed;
  }

  async markPublished(ids: readonly string[], owner: string): Promise<void> {
    for (const row of this.#owned(ids, owner)) {
      row.status = 'published';
      row.publishedAt = Date.now();
      row.claimedBy = null;
    }
  }

  async markFailed(ids: readonly string[], owner: string, error: string, retryAt: Date): Promise<void> {
    for (const row of this.#owned(ids, owner)) {
      row.message = { ...row.message, attempts: row.message.attempts + 1 };
      row.lastError = error;
      row.nextAttemptAt = retryAt.getTime();
      row.claimedBy = null;
    }
  }

  async cleanupPublished(options: { olderThan?: Date } = {}): Promise<number> {
    const before = this.#rows.length;
    const keep = this.#rows.filter(
      (row) =>
        row.status !== 'published' ||
        (options.olderThan !== undefined && (row.publishedAt ?? 0) >= options.olderThan.getTime()),
    );
    this.#rows.splice(0, this.#rows.length, ...keep);
    return before - keep.length;
  }

  async stats(): Promise<OutboxStats> {
    const pending = this.#rows.filter((r) => r.status === 'pending');
    return {
      pending: pending.length,
      published: this.#rows.length - pending.length,
      oldestPendingAt: pending[0]?.message.createdAt ?? null,
      maxPendingAttempts: Math.max(0, ...pending.map((r) => r.message.attempts)),
    };
  }

  #owned(ids: readonly string[], owner: string): Row[] {
    const wanted = new Set(ids);
    return this.#rows.filter((row) => wanted.has(row.message.id) && row.claimedBy === owner);
  }
}
