import type { DomainEvent } from '../events/domain-event.js';
import type { EventRecord } from '../events/event-record.js';
import type { EventStoreTransaction } from '../store/event-store.js';

/** A row of the outbox, as a relay sees it. */
export interface OutboxMessage {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly record: EventRecord;
  /** Failed publish attempts so far. */
  readonly attempts: number;
  readonly createdAt: Date;
}

export interface OutboxStats {
  readonly pending: number;
  readonly published: number;
  readonly oldestPendingAt: Date | null;
  /** Highest attempt count among pending rows (a publisher that keeps failing shows here). */
  readonly maxPendingAttempts: number;
}

/** Writes outbox rows inside the transaction that appends the events (used by `AggregateRepository`). */
export interface OutboxWriter {
  /**
   * Adds one row per event as part of `transaction`: on SQL stores through `transaction.sql`, so the
   * rows commit or roll back with the append.
   */
  add(events: readonly DomainEvent[], options: { transaction: EventStoreTransaction }): Promise<void>;
}

/**
 * The transactional outbox: rows written with the append, claimed and published by an
 * `OutboxRelay`. Claims are leases: a claimed row is invisible to other relays until it is
 * published, fails, or its lease runs out (a relay died). A claim never hands out a row while an
 * earlier row of the same aggregate is unpublished and not in the same claim, so events of one
 * aggregate are published in order even with several relays.
 *
 * @example
 * ```ts
 * const outbox = new SqlOutboxStore(store.db);
 * const accounts = new AggregateRepository(store, BankAccount, { outbox });
 * const relay = new OutboxRelay(outbox, bus);
 * relay.start();
 * ```
 */
export interface OutboxStore extends OutboxWriter {
  /** Claims up to `limit` publishable rows for `owner` for `leaseMs`, oldest first. */
  claim(owner: string, options: { limit: number; leaseMs: number }): Promise<OutboxMessage[]>;
  /** Marks claimed rows published (rows whose claim `owner` lost are left alone). */
  markPublished(ids: readonly string[], owner: string): Promise<void>;
  /** Counts a failed attempt, releases the claim and keeps the rows pending until `retryAt`. */
  markFailed(ids: readonly string[], owner: string, error: string, retryAt: Date): Promise<void>;
  /** Deletes published rows (published before `olderThan`, if given). Returns how many. */
  cleanupPublished(options?: { olderThan?: Date }): Promise<number>;
  stats(): Promise<OutboxStats>;
}
