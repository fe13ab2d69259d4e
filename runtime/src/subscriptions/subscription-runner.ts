import { toEventRecord } from '../events/event-record.js';
import type { EventStore, EventStoreTransaction, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { describeError, type DeadLetterEntry, type DeadLetterQueue } from './dead-letter-queue.js';
import { backoffDelay, retryPolicy, sleep, type RetryPolicy } from './retry-policy.js';
import { CheckpointConflictError, HandlerTimeoutError, SubscriptionConfigError } from './subscription-errors.js';
import type { LockHandle, SubscriptionLock } from './subscription-lock.js';
import type {
  BatchEventHandler,
  HandlerContext,
  SubscriptionErrorInfo,
  SubscriptionHandler,
  SubscriptionOptions,
  SubscriptionState,
  SubscriptionStatus,
} from './subscription-options.js';

/** Runs `fn` in one transaction, giving it the SQL handle and (for store transactions) the store transaction. */
export type TransactionRunner = <T>(fn: (sql: unknown, tx: EventStoreTransaction | undefined) => Promise<T>) => Promise<T>;

/** What the manager shares with each runner. */
export interface RunnerEnvironment {
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  readonly deadLetters: DeadLetterQueue;
  readonly lock: SubscriptionLock;
  readonly pollIntervalMs: number;
  readonly lockRetryMs: number;
  readonly lagCountLimit: number;
  readonly onError: ((subscription: string, error: SubscriptionErrorInfo) => void) | undefined;
}

type Outcome = 'ok' | 'failed' | 'interrupted' | 'infrastructure' | 'lost-lock';

const INFRASTRUCTURE_RETRY: RetryPolicy = retryPolicy({ maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 200, maxDelayMs: 30_000 });
const RECENT_ERRORS = 10;

/** A handler failure, told apart from failures of the feed, checkpoint or transaction around it. */
class HandlerFailure {
  constructor(
    readonly error: unknown,
    /** Index in the unit of the event whose handler failed (0 for batch handlers). */
    readonly index: number,
  ) {}
}

/**
 * The loop behind one subscription: take the lock, read the feed after the checkpoint, deliver,
 * checkpoint, and wait for a wake-up or the poll interval when caught up. Internal to the manager.
 */
export class SubscriptionRunner {
  readonly name: string;
  readonly #env: RunnerEnvironment;
  readonly #handler: SubscriptionHandler;
  readonly #options: SubscriptionOptions;
  readonly #policy: RetryPolicy;
  readonly #batchSize: number;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #transaction: TransactionRunner | undefined;

  #state: SubscriptionState = 'idle';
  #position: Position | null = null;
  /** Non-transactional progress not yet checkpointed. */
  #pending: Position | null = null;
  #lockHandle: LockHandle | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #paused = false;
  #firstStart = true;
  #reload = false;
  #woken = false;
  #changed: (() => void) | undefined;
  #stopController = new AbortController();
  #forceController = new AbortController();
  #mutex: Promise<unknown> = Promise.resolve();
  #infrastructureFailures = 0;
  #processed = 0;
  #deadLettered = 0;
  #errorCount = 0;
  #recentErrors: SubscriptionErrorInfo[] = [];
  #failure: SubscriptionErrorInfo | undefined;

  constructor(env: RunnerEnvironment, handler: SubscriptionHandler, options: SubscriptionOptions) {
    this.name = options.name;
    this.#env = env;
    this.#handler = handler;
    this.#options = options;
    this.#policy = retryPolicy(options.retry);
    this.#batchSize = options.batchSize ?? 100;
    this.#timeoutMs = options.handlerTimeoutMs ?? 30_000;
    this.#pollMs = options.pollIntervalMs ?? env.pollIntervalMs;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new SubscriptionConfigError(options.name, `batchSize must be an integer ≥ 1, got ${String(options.batchSize)}.`);
    }
    if (!(this.#timeoutMs > 0)) throw new SubscriptionConfigError(options.name, 'handlerTimeoutMs must be > 0.');
    if (!(this.#pollMs > 0)) throw new SubscriptionConfigError(options.name, 'pollIntervalMs must be > 0.');
    this.#transaction = transactionRunner(env, options);
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** Last checkpointed position as this runner knows it (null before the first, or while not holding the lock). */
  get position(): Position | null {
    return this.#position;
  }

  get holdsLock(): boolean {
    return this.#lockHandle?.held === true;
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#failure = undefined;
    this.#stopController = new AbortController();
    this.#forceController = new AbortController();
    this.#loop = this.#run().finally(() => (this.#loop = undefined));
  }

  /** Graceful stop: finishes the batch in flight (and its checkpoint), then releases the lock. */
  async stop(timeoutMs: number): Promise<{ forced: boolean }> {
    this.#stopping = true;
    if (this.#loop) this.#state = 'stopping';
    this.#stopController.abort();
    this.#poke();
    const loop = this.#loop;
    if (!loop) return { forced: false };
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      loop.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (finished) return { forced: false };
    this.#forceController.abort(new Error(`Subscription "${this.name}" was stopped before its handler finished.`));
    this.#state = 'stopped';
    await this.#releaseLock();
    return { forced: true };
  }

  /** Resolves once the batch in flight (if any) is done; nothing more is processed until `resume`. */
  async pause(): Promise<void> {
    this.#paused = true;
    this.#poke();
    await this.#exclusive(async () => undefined);
  }

  /** `reload`: re-read the checkpoint first (someone else moved it while paused). */
  resume(reload = false): void {
    if (reload) this.#reload = true;
    this.#paused = false;
    this.#poke();
  }

  /** New events may be in the store. */
  wake(): void {
    this.#woken = true;
    this.#poke();
  }

  async status(): Promise<SubscriptionStatus> {
    const position = this.holdsLock ? this.#position : await this.#env.checkpoints.load(this.name);
    let lagEvents = 0;
    let oldest: Date | undefined;
    let after = position;
    while (lagEvents <= this.#env.lagCountLimit) {
      try {
        for await (const stored of this.#env.store.readAll({ ...this.#filters(), after, limit: this.#env.lagCountLimit + 1 - lagEvents })) {
          oldest ??= stored.storedAt;
          lagEvents++;
        }
        break;
      } catch (error) {
        if (!(error instanceof UndecodableEventError)) throw error;
        oldest ??= error.storedAt; // it counts as lag too; count on after it
        lagEvents++;
        after = error.position;
      }
    }
    const capped = lagEvents > this.#env.lagCountLimit;
    return {
      name: this.name,
      state: this.#state,
      position,
      lagEvents: capped ? this.#env.lagCountLimit : lagEvents,
      lagEventsCapped: capped,
      lagSeconds: oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0,
      processed: this.#processed,
      deadLettered: this.#deadLettered,
      errorCount: this.#errorCount,
      recentErrors: [...this.#recentErrors],
      ...(this.#failure ? { failure: this.#failure } : {}),
    };
  }

  /**
   * Delivers a dead-lettered event once more through this subscription's handler (in its
   * transaction mode, without moving the checkpoint). Resolves the entry on success; on failure
   * parks it again, which counts the attempt.
   */
  async redeliver(entry: DeadLetterEntry, by: string | undefined): Promise<'resolved' | 'failed'> {
    return this.#exclusive(async () => {
      const dlq = this.#env.deadLetters;
      try {
        const stored: StoredEvent = {
          event: this.#env.store.registry.decode(entry.record),
          streamId: entry.streamId,
          streamVersion: entry.record.aggregateVersion,
          position: entry.position,
          storedAt: entry.storedAt,
        };
        const resolve = { by: by ?? 'retry' };
        let resolved = false;
        if (this.#transaction) {
          await this.#transaction(async (sql, tx) => {
            await this.#callHandler([stored], { sql, transaction: tx, attempt: entry.attempts + 1, redelivery: true });
            if (dlq.transactional && sql !== undefined) {
              await dlq.resolve(entry.id, { ...resolve, transaction: sql });
              resolved = true;
            }
          });
        } else {
          await this.#callHandler([stored], { sql: undefined, transaction: undefined, attempt: entry.attempts + 1, redelivery: true });
        }
        if (!resolved) await dlq.resolve(entry.id, resolve);
        return 'resolved';
      } catch (error) {
        const cause = error instanceof HandlerFailure ? error.error : error;
        const { message, stack } = describeError(cause);
        await dlq.add({ ...entry, error: message, stack, attempts: 1 });
        this.#recordError({ kind: 'handler', message, eventId: entry.eventId, position: entry.position.toString() });
        return 'failed';
      }
    });
  }

  // ---------------------------------------------------------------------------------------------

  async #run(): Promise<void> {
    try {
      while (!this.#stopping) {
        if (this.#paused) {
          this.#state = 'paused';
          await this.#wait(this.#pollMs);
          continue;
        }
        if (!this.holdsLock && !(await this.#acquire())) {
          if (!this.#stopping) await this.#wait(this.#env.lockRetryMs);
          continue;
        }
        let outcome: Outcome;
        try {
          if (this.#reload) {
            this.#position = await this.#env.checkpoints.load(this.name);
            this.#reload = false;
          }
          this.#woken = false;
          const batch = await this.#next();
          if (batch.length === 0) {
            this.#state = 'live';
            this.#infrastructureFailures = 0;
            await this.#wait(this.#pollMs, true);
            continue;
          }
          this.#state = batch.length < this.#batchSize ? 'live' : 'catching-up';
          // During catch-up, read the next page while this one is being handled.
          if (batch.length === this.#batchSize) this.#prefetch(batch[batch.length - 1]!.position);
          outcome = await this.#exclusive(() => this.#process(batch));
        } catch (error) {
          if (error instanceof UndecodableEventError) {
            outcome = await this.#exclusive(() => this.#undecodable(error));
          } else {
            this.#infrastructureError(error);
            outcome = 'infrastructure';
          }
        }
        if (outcome === 'failed') {
          this.#state = 'failed';
          return;
        }
        if (outcome === 'lost-lock') {
          await this.#releaseLock();
          this.#reload = true;
        } else if (outcome === 'infrastructure') {
          this.#infrastructureFailures++;
          await sleep(backoffDelay(INFRASTRUCTURE_RETRY, this.#infrastructureFailures), this.#stopController.signal);
        } else if (outcome === 'ok') {
          this.#infrastructureFailures = 0;
        }
      }
    } finally {
      if (this.#state !== 'failed') this.#state = 'stopped';
      await this.#releaseLock();
    }
  }

  async #acquire(): Promise<boolean> {
    let handle: LockHandle | undefined;
    try {
      handle = await this.#env.lock.tryAcquire(this.name);
    } catch (error) {
      this.#infrastructureError(error);
      return false;
    }
    if (!handle) {
      this.#state = 'standby';
      return false;
    }
    this.#lockHandle = handle;
    try {
      this.#position = await this.#startPosition();
      this.#reload = false;
      return true;
    } catch (error) {
      this.#infrastructureError(error);
      await this.#releaseLock();
      return false;
    }
  }

  async #startPosition(): Promise<Position | null> {
    const { checkpoints, store } = this.#env;
    const saved = await checkpoints.load(this.name);
    const from = this.#options.startFrom ?? 'checkpoint';
    if (!this.#firstStart || from === 'checkpoint') return saved;
    this.#firstStart = false;
    const target = from === 'beginning' ? null : from === 'end' ? await store.currentPosition() : from;
    await checkpoints.reset(this.name, target);
    return target;
  }

  async #releaseLock(): Promise<void> {
    const handle = this.#lockHandle;
    this.#lockHandle = undefined;
    try {
      await handle?.release();
    } catch (error) {
      this.#infrastructureError(error);
    }
  }

  async #read(after: Position | null = this.#position): Promise<StoredEvent[]> {
    const batch: StoredEvent[] = [];
    try {
      for await (const stored of this.#env.store.readAll({ ...this.#filters(), after, limit: this.#batchSize })) {
        batch.push(stored);
      }
    } catch (error) {
      // An undecodable event ends the page; the next read starts at it and reports it at once.
      if (batch.length > 0 && error instanceof UndecodableEventError) return batch;
      throw error;
    }
    return batch;
  }

  #prefetched: { after: Position; page: Promise<StoredEvent[]> } | undefined;

  #prefetch(after: Position): void {
    const page = this.#read(after);
    page.catch(() => undefined); // a failed read-ahead is simply read again
    this.#prefetched = { after, page };
  }

  /** The page after the checkpoint: the read-ahead one when it starts there, else a fresh read. */
  async #next(): Promise<StoredEvent[]> {
    const prefetched = this.#prefetched;
    this.#prefetched = undefined;
    if (prefetched && this.#position && prefetched.after.equals(this.#position)) {
      try {
        return await prefetched.page;
      } catch {
        // fall through to a fresh read
      }
    }
    return this.#read();
  }

  #filters() {
    const { eventTypes, aggregateTypes, tenantId } = this.#options;
    return {
      ...(eventTypes ? { eventTypes } : {}),
      ...(aggregateTypes ? { aggregateTypes } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
    };
  }

  async #process(batch: StoredEvent[]): Promise<Outcome> {
    if (this.#paused || this.#stopping || !this.holdsLock) return 'interrupted';
    if (this.#transaction) {
      const first = await this.#attempt(batch, 1);
      if (!(first instanceof HandlerFailure)) return first;
      this.#handlerError(first.error, batch[first.index]!);
      if (batch.length === 1) return this.#deliver(batch, 2, first.error);
      if (isBatchHandler(this.#handler)) return this.#oneByOne(batch);
      // Everything before the failing event succeeded: commit it, then retry the failing one alone.
      if (first.index > 0) {
        const prefix = await this.#deliver(batch.slice(0, first.index), 1);
        if (prefix !== 'ok') return prefix;
      }
      return this.#deliver([batch[first.index]!], 2, first.error);
    }
    try {
      if (isBatchHandler(this.#handler)) return await this.#deliver(batch, 1);
      return await this.#oneByOne(batch);
    } finally {
      await this.#flushPending();
    }
  }

  async #oneByOne(batch: readonly StoredEvent[]): Promise<Outcome> {
    for (const stored of batch) {
      const outcome = await this.#deliver([stored], 1);
      if (outcome !== 'ok') return outcome;
    }
    return 'ok';
  }

  /** Delivers `unit` with retries; parks it (one event at a time) or stops when they run out. */
  async #deliver(unit: readonly StoredEvent[], firstAttempt: number, previous?: unknown): Promise<Outcome> {
    let lastError = previous;
    for (let attempt = firstAttempt; attempt <= this.#policy.maxAttempts; attempt++) {
      if (attempt > 1) {
        await sleep(backoffDelay(this.#policy, attempt - 1), this.#stopController.signal);
        if (this.#stopping) return 'interrupted';
      }
      const result = await this.#attempt(unit, attempt);
      if (!(result instanceof HandlerFailure)) return result;
      lastError = result.error;
      this.#handlerError(result.error, unit[result.index]!);
    }
    if (unit.length > 1) return this.#oneByOne(unit);
    const stored = unit[0]!;
    if (this.#options.stopOnError) {
      const { message } = describeError(lastError);
      this.#failure = { kind: 'handler', message, at: new Date(), eventId: stored.event.eventId, position: stored.position.toString() };
      return 'failed';
    }
    return this.#park(parkTarget(stored), lastError, this.#policy.maxAttempts);
  }

  /**
   * The feed stopped at an event the store cannot decode: stop (`stopOnError`), or park it in
   * the dead-letter queue in its stored form, with the reason, and move past it.
   */
  async #undecodable(error: UndecodableEventError): Promise<Outcome> {
    if (this.#paused || this.#stopping || !this.holdsLock) return 'interrupted';
    if (this.#position && !error.position.isAfter(this.#position)) {
      this.#infrastructureError(error); // not the next event: a store bug; retry the read
      return 'infrastructure';
    }
    const info = { kind: 'undecodable' as const, message: describeError(error).message, eventId: error.eventId, position: error.position.toString() };
    this.#recordError(info);
    if (this.#options.stopOnError) {
      this.#failure = { ...info, at: new Date() };
      return 'failed';
    }
    const { record } = error;
    const target = { eventId: error.eventId, eventType: record.eventType, streamId: error.streamId, position: error.position, storedAt: error.storedAt, record };
    try {
      return await this.#park(target, error, 1);
    } finally {
      await this.#flushPending(); // outside a transaction, the checkpoint moves past it now
    }
  }

  /** One try: the handler and, in a transactional subscription, the checkpoint in the same transaction. */
  async #attempt(unit: readonly StoredEvent[], attempt: number): Promise<Outcome | HandlerFailure> {
    const last = unit[unit.length - 1]!;
    try {
      if (this.#transaction) {
        await this.#transaction(async (sql, tx) => {
          await this.#callHandler(unit, { sql, transaction: tx, attempt, redelivery: false });
          await this.#saveCheckpoint(last.position, sql);
        });
        this.#position = last.position;
      } else {
        await this.#callHandler(unit, { sql: undefined, transaction: undefined, attempt, redelivery: false });
        this.#pending = last.position;
      }
      this.#processed += unit.length;
      return 'ok';
    } catch (error) {
      if (error instanceof HandlerFailure) return error;
      if (error instanceof CheckpointConflictError) {
        this.#infrastructureError(error);
        return 'lost-lock';
      }
      this.#infrastructureError(error);
      return 'infrastructure';
    }
  }

  async #flushPending(): Promise<void> {
    const pending = this.#pending;
    if (!pending || (this.#position && !pending.isAfter(this.#position))) return;
    try {
      await this.#saveCheckpoint(pending, undefined);
      this.#position = pending;
    } catch (error) {
      this.#infrastructureError(error);
      // Not saved: the events since the checkpoint are delivered again (at least once).
      if (error instanceof CheckpointConflictError) await this.#releaseLock();
    }
  }

  async #saveCheckpoint(position: Position, sql: unknown): Promise<void> {
    const { checkpoints } = this.#env;
    if (sql !== undefined && !checkpoints.transactional) {
      throw new SubscriptionConfigError(
        this.name,
        'runs in SQL transactions, but its checkpoint store cannot join them; use a SqlCheckpointStore on the same database.',
      );
    }
    await checkpoints.save(this.name, position, { expected: this.#position, ...(sql !== undefined ? { transaction: sql } : {}) });
  }

  async #park(stored: ParkTarget, error: unknown, attempts: number): Promise<Outcome> {
    const { deadLetters } = this.#env;
    const { message, stack } = describeError(error);
    const entry = { subscription: this.name, ...stored, error: message, stack, attempts };
    try {
      if (this.#transaction) {
        if (!deadLetters.transactional) await deadLetters.add(entry);
        await this.#transaction(async (sql) => {
          if (deadLetters.transactional && sql !== undefined) await deadLetters.add(entry, { transaction: sql });
          else if (deadLetters.transactional) await deadLetters.add(entry);
          await this.#saveCheckpoint(stored.position, sql);
        });
        this.#position = stored.position;
      } else {
        await deadLetters.add(entry);
        this.#pending = stored.position;
      }
    } catch (failure) {
      this.#infrastructureError(failure);
      return failure instanceof CheckpointConflictError ? 'lost-lock' : 'infrastructure';
    }
    this.#deadLettered++;
    const undecodable = error instanceof UndecodableEventError;
    this.#env.onError?.(this.name, {
      kind: undecodable ? 'undecodable' : 'handler',
      message: undecodable
        ? `parked in the dead-letter queue without delivery: ${message}`
        : `parked in the dead-letter queue after ${entry.attempts} attempts: ${message}`,
      at: new Date(),
      eventId: entry.eventId,
      position: stored.position.toString(),
    });
    return 'ok';
  }

  async #callHandler(
    unit: readonly StoredEvent[],
    base: Pick<HandlerContext, 'sql' | 'transaction' | 'attempt' | 'redelivery'>,
  ): Promise<void> {
    // One controller and context per unit (not per event): cheap on hot catch-up paths.
    const controller = new AbortController();
    const force = this.#forceController.signal;
    const onForce = () => controller.abort(force.reason);
    force.addEventListener('abort', onForce, { once: true });
    const context: HandlerContext = { subscription: this.name, signal: controller.signal, ...base };
    const handler = this.#handler;
    try {
      if (isBatchHandler(handler)) {
        await this.#withTimeout(unit, 0, controller, () => handler.handleBatch(unit, context));
        return;
      }
      for (let i = 0; i < unit.length; i++) {
        const stored = unit[i]!;
        await this.#withTimeout(unit, i, controller, () =>
          typeof handler === 'function' ? handler(stored, context) : handler.handle(stored, context),
        );
      }
    } finally {
      force.removeEventListener('abort', onForce);
    }
  }

  async #withTimeout(
    unit: readonly StoredEvent[],
    index: number,
    controller: AbortController,
    call: () => Promise<void> | void,
  ): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = call();
      if (!(result instanceof Promise)) return;
      await Promise.race([
        result,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const ids = isBatchHandler(this.#handler) ? unit.map((s) => s.event.eventId) : [unit[index]!.event.eventId];
            const error = new HandlerTimeoutError(this.name, this.#timeoutMs, ids);
            controller.abort(error);
            reject(error);
          }, this.#timeoutMs);
        }),
      ]);
    } catch (error) {
      throw new HandlerFailure(error, index);
    } finally {
      clearTimeout(timer);
    }
  }

  #handlerError(error: unknown, stored: StoredEvent): void {
    this.#recordError({
      kind: 'handler',
      message: describeError(error).message,
      eventId: stored.event.eventId,
      position: stored.position.toString(),
    });
  }

  #infrastructureError(error: unknown): void {
    this.#recordError({ kind: 'infrastructure', message: describeError(error).message });
  }

  #recordError(info: Omit<SubscriptionErrorInfo, 'at'>): void {
    const full = { ...info, at: new Date() };
    this.#errorCount++;
    this.#recentErrors.push(full);
    if (this.#recentErrors.length > RECENT_ERRORS) this.#recentErrors.shift();
    try {
      this.#env.onError?.(this.name, full);
    } catch {
      // A faulty error reporter must not break the subscription.
    }
  }

  /** Waits up to `ms`, or until poked (a wake-up when `wakeable`, or a pause/resume/stop). */
  async #wait(ms: number, wakeable = false): Promise<void> {
    if (this.#stopping || (wakeable && this.#woken)) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#changed = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#changed = undefined;
  }

  #poke(): void {
    this.#changed?.();
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#mutex.then(fn, fn);
    this.#mutex = run.catch(() => undefined);
    return run;
  }
}

/** What a dead-letter entry records about the event. */
type ParkTarget = Pick<DeadLetterEntry, 'eventId' | 'eventType' | 'streamId' | 'position' | 'storedAt' | 'record'>;

function parkTarget(stored: StoredEvent): ParkTarget {
  const { event } = stored;
  return { eventId: event.eventId, eventType: event.eventType, streamId: stored.streamId, position: stored.position, storedAt: stored.storedAt, record: toEventRecord(event) };
}

function isBatchHandler(handler: SubscriptionHandler): handler is BatchEventHandler {
  return typeof handler === 'object' && typeof (handler as { handleBatch?: unknown }).handleBatch === 'function';
}

function transactionRunner(env: RunnerEnvironment, options: SubscriptionOptions): TransactionRunner | undefined {
  const mode = options.transaction;
  if (mode === undefined) return undefined;
  if (mode === 'store') return (fn) => env.store.transaction((tx) => fn(tx.sql, tx));
  if (!env.checkpoints.transactional) {
    throw new SubscriptionConfigError(
      options.name,
      'runs in transactions of its own database, but its checkpoint store cannot join them; use a SqlCheckpointStore on that database.',
    );
  }
  const db = mode.db;
  return (fn) => db.transaction().execute((trx) => fn(trx, undefined));
}
