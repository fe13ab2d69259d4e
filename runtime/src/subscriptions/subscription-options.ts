import type { Kysely } from 'kysely';
import type { EventStoreTransaction, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import type { RetryPolicy } from '../retry/retry-policy.js';

/** What a handler gets besides the event(s). */
export interface HandlerContext {
  readonly subscription: string;
  /**
   * Aborted when the handler times out or a stop is forced; pass it on to I/O that accepts one.
   * After a forced stop nothing more is committed for this delivery (checkpoint, transaction),
   * and the event is delivered again when the subscription next runs.
   */
  readonly signal: AbortSignal;
  /** This delivery's attempt number, from 1. */
  readonly attempt: number;
  /**
   * In a transactional subscription, the open transaction (a Kysely `Transaction` on SQL
   * stores): write through it and the writes commit together with the checkpoint.
   */
  readonly sql: unknown;
  /** With `transaction: 'store'`, the store transaction: events appended here commit with the checkpoint. */
  readonly transaction: EventStoreTransaction | undefined;
  /** True when the event is re-delivered from the dead-letter queue. */
  readonly redelivery: boolean;
}

/** Handles one event at a time. */
export type EventHandlerFunction = (stored: StoredEvent, context: HandlerContext) => Promise<void> | void;

export interface EventHandler {
  handle(stored: StoredEvent, context: HandlerContext): Promise<void> | void;
}

/**
 * Handles a page of the feed at once (at most `batchSize` events, in order). If a batch keeps
 * failing, the manager falls back to one-event batches to find and park the poison event.
 */
export interface BatchEventHandler {
  handleBatch(batch: readonly StoredEvent[], context: HandlerContext): Promise<void> | void;
}

export type SubscriptionHandler = EventHandlerFunction | EventHandler | BatchEventHandler;

/**
 * Where a subscription starts.
 * - `'checkpoint'` (default): after its saved checkpoint, or at the beginning if it has none;
 * - `'beginning'`: from the first event, resetting the checkpoint;
 * - `'end'`: only events appended after `start()`, moving the checkpoint to the current end;
 * - a `Position`: strictly after it, resetting the checkpoint.
 *
 * Only `'checkpoint'` resumes where a previous run stopped; the others reset on every start.
 */
export type StartFrom = 'checkpoint' | 'beginning' | 'end' | Position;

/**
 * How a subscription's work is made atomic with its checkpoint.
 * - `'store'`: each batch runs in `store.transaction()`; the handler writes through `context.sql`
 *   (or appends through `context.transaction`) and the checkpoint is saved in the same transaction.
 *   Needs a checkpoint store on the same database as the event store.
 * - `{ db }`: each batch runs in a transaction of this Kysely database, which must also hold the
 *   checkpoint table (the checkpoint store must write to it).
 */
export type SubscriptionTransaction = 'store' | { readonly db: Kysely<any> };

export interface SubscriptionOptions {
  /** Unique within a manager; also the checkpoint key and the lock name. */
  readonly name: string;
  readonly eventTypes?: readonly string[];
  readonly aggregateTypes?: readonly string[];
  readonly tenantId?: string;
  /** Default `'checkpoint'`. */
  readonly startFrom?: StartFrom;
  /** Events read (and, for batch handlers, delivered) at once. Default 100. */
  readonly batchSize?: number;
  /**
   * Make handler writes and the checkpoint one transaction (exactly-once read models). Without
   * it, delivery is at least once: after a crash, the events since the last checkpoint are
   * delivered again.
   */
  readonly transaction?: SubscriptionTransaction;
  /** Retries of a failing handler before the event is dead-lettered (or the subscription stops). */
  readonly retry?: Partial<RetryPolicy>;
  /**
   * Stop the subscription when an event still fails after its retries, or when the store cannot
   * decode it (`UndecodableEventError`: unknown type, failing upcaster or validation), instead of
   * parking it in the dead-letter queue. The checkpoint stays before the event. Default false:
   * an undecodable event is parked at once, in stored form with the reason, and skipped.
   */
  readonly stopOnError?: boolean;
  /** A handler call that has not settled after this long fails with `HandlerTimeoutError`. Default 30 s. */
  readonly handlerTimeoutMs?: number;
  /** Longest wait between two reads of the feed while live, in case a wake-up was lost. Default: the manager's. */
  readonly pollIntervalMs?: number;
}

export type SubscriptionState =
  'idle' | 'standby' | 'catching-up' | 'live' | 'paused' | 'stopping' | 'stopped' | 'failed';

/** One error a subscription met, as shown in its status. */
export interface SubscriptionErrorInfo {
  readonly message: string;
  readonly at: Date;
  /**
   * `handler` for event failures, `undecodable` for a stored event the store could not decode
   * (unknown type, failing upcaster or validation), `infrastructure` for feed, checkpoint or lock failures,
   * `newer-version` (a warning, not a failure) for an event written by a newer release of the app
   * than this process runs: the subscription waits before it and leaves it to a process with the
   * newer release (a rolling deploy).
   */
  readonly kind: 'handler' | 'undecodable' | 'infrastructure' | 'newer-version';
  readonly eventId?: string;
  readonly position?: string;
}

export interface SubscriptionStatus {
  readonly name: string;
  readonly state: SubscriptionState;
  /** Position of the last event it finished with (its checkpoint), or null before the first. */
  readonly position: Position | null;
  /** Matching events in the store after `position` (counted up to the manager's `lagCountLimit`). */
  readonly lagEvents: number;
  /** True when `lagEvents` hit the counting limit (the real lag is larger). */
  readonly lagEventsCapped: boolean;
  /** How long the oldest unprocessed matching event has been in the store, in seconds; 0 when caught up. */
  readonly lagSeconds: number;
  readonly processed: number;
  readonly deadLettered: number;
  readonly errorCount: number;
  /** The most recent errors, newest last (at most 10). */
  readonly recentErrors: readonly SubscriptionErrorInfo[];
  /** Set when the subscription stopped on an error (`stopOnError`). */
  readonly failure?: SubscriptionErrorInfo;
}
