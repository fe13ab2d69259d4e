import { describeThrown } from '../describe-thrown.js';
import type { EventRecord } from '../events/event-record.js';
import type { Position } from '../store/position.js';

export type DeadLetterStatus = 'pending' | 'retrying' | 'resolved';

/** An event a subscription gave up on, with why and how often it failed. */
export interface DeadLetterEntry {
  readonly id: string;
  /** The parked event's tenant (`record.tenantId`); only that tenant's view of the queue sees the entry. */
  readonly tenantId: string | null;
  readonly subscription: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly position: Position;
  /** When the store committed the event. */
  readonly storedAt: Date;
  /** The event in stored form, so it can be re-delivered even after upcasters change. */
  readonly record: EventRecord;
  readonly error: string;
  readonly stack: string | null;
  /** Failed deliveries in all, across every time it was parked. */
  readonly attempts: number;
  readonly status: DeadLetterStatus;
  readonly firstFailedAt: Date;
  readonly lastFailedAt: Date;
  readonly resolvedAt: Date | null;
  readonly resolvedBy: string | null;
}

/** What a subscription parks. Its tenant is the event's, `record.tenantId`. */
export interface NewDeadLetter {
  readonly subscription: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly position: Position;
  readonly storedAt: Date;
  readonly record: EventRecord;
  readonly error: string;
  readonly stack?: string | null;
  /** Failed deliveries this time; added to the entry's count when it already exists. */
  readonly attempts: number;
}

export interface DeadLetterFilter {
  readonly subscription?: string;
  readonly status?: DeadLetterStatus | readonly DeadLetterStatus[];
  /** Default 100. */
  readonly limit?: number;
  /** Entries with an id after this one (ids grow); for paging. Not an entry's id: `InvalidArgumentError`. */
  readonly afterId?: string;
}

export interface DeadLetterStats {
  readonly total: number;
  readonly byStatus: Readonly<Record<DeadLetterStatus, number>>;
  /** Per subscription, most unresolved entries first. */
  readonly bySubscription: readonly { subscription: string; pending: number; retrying: number; resolved: number }[];
  readonly oldestUnresolvedAt: Date | null;
}

/**
 * Parked events per subscription. `add` is an upsert on (subscription, event id): parking the
 * same event again updates the error, sets it back to `pending` and adds the attempts.
 * Re-delivering an entry goes through `SubscriptionManager.retryDeadLetter(s)`, which calls the
 * subscription's own handler.
 *
 * Each entry belongs to its event's tenant. `forTenant(tenantId)` is a view that adds, gets,
 * lists, counts, retries, resolves and purges only that tenant's entries; the queue itself sees
 * every tenant's (for operators). A `SubscriptionManager` on `store.forTenant(tenantId)` uses the
 * view of that tenant by itself.
 *
 * @example
 * ```ts
 * const parked = await deadLetters.list({ subscription: 'AccountSummary', status: 'pending' });
 * await manager.retryDeadLetters({ subscription: 'AccountSummary' });
 * await deadLetters.purgeResolved({ olderThan: new Date(Date.now() - 7 * 86_400_000) });
 * ```
 */
export interface DeadLetterQueue {
  /** True when entries survive a restart. */
  readonly durable: boolean;
  /** True when `add` can join a transaction passed in `options.transaction`. */
  readonly transactional: boolean;
  add(entry: NewDeadLetter, options?: { transaction?: unknown }): Promise<DeadLetterEntry>;
  get(id: string): Promise<DeadLetterEntry | undefined>;
  /** Oldest first. */
  list(filter?: DeadLetterFilter): Promise<DeadLetterEntry[]>;
  /** Marks an entry as being re-delivered (so two operators do not retry it at once). Returns false if it was not pending. */
  markRetrying(id: string): Promise<boolean>;
  /** Puts a `retrying` entry back to `pending` without counting an attempt (e.g. a retry was interrupted). */
  release(id: string): Promise<void>;
  resolve(id: string, options?: { by?: string; transaction?: unknown }): Promise<void>;
  /**
   * The first entry of `subscription` still unresolved whose event is at or before `upTo` (entries
   * of another store's positions do not count): a `pending` one if there is any, else a `retrying`
   * one, oldest first; undefined when there is none. One query on the queue's (status,
   * subscription) index: `waitForProjections` asks it for each projection it waits for.
   *
   * @example
   * ```ts
   * const parked = await deadLetters.firstUnresolved('AccountSummary', position);
   * if (parked) console.warn(`AccountSummary skipped ${parked.eventType} at ${parked.position}: ${parked.error}`);
   * ```
   */
  firstUnresolved(subscription: string, upTo: Position): Promise<DeadLetterEntry | undefined>;
  /** Deletes resolved entries (resolved before `olderThan`, if given). Returns how many. */
  purgeResolved(options?: { olderThan?: Date }): Promise<number>;
  stats(): Promise<DeadLetterStats>;
  /**
   * A view that sees only `tenantId`'s entries: the others are not found, listed or counted, and
   * adding an event of another tenant throws `TenantMismatchError`.
   *
   * @example
   * ```ts
   * const parked = await deadLetters.forTenant('acme').list({ status: 'pending' });
   * ```
   */
  forTenant(tenantId: string): DeadLetterQueue;
}

/** The one-line description ({@link describeThrown}) and, for an Error, the stack of anything thrown. */
export function describeError(error: unknown): { message: string; stack: string | null } {
  return { message: describeThrown(error), stack: error instanceof Error ? (error.stack ?? null) : null };
}

/** Normalizes a status filter into a set, or undefined for "any". */
export function statusSet(status: DeadLetterFilter['status']): ReadonlySet<DeadLetterStatus> | undefined {
  if (status === undefined) return undefined;
  return new Set(typeof status === 'string' ? [status] : status);
}
