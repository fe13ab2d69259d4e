import { instruments, MetricAttributes } from '../telemetry/metrics.js';
import { backoffDelay, retryPolicy, sleep, type RetryPolicy } from '../retry/index.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';
import { EventVersionTooNewError } from '../errors.js';
import {
  callHandler,
  HandlerFailure,
  isBatchHandler,
  type HandlerCall,
  type HandlerContextBase,
} from './call-handler.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { describeError, type DeadLetterEntry, type DeadLetterQueue } from './dead-letter-queue.js';
import { parkTarget, type ParkTarget } from './park-target.js';
import { RunnerCheckpoint } from './runner-checkpoint.js';
import { CheckpointConflictError, SubscriptionConfigError } from './subscription-errors.js';
import { SubscriptionErrorLog } from './subscription-error-log.js';
import { SubscriptionFeed } from './subscription-feed.js';
import type { LockHandle, SubscriptionLock } from './subscription-lock.js';
import { Fenced, LockLost, Run } from './subscription-run.js';
import { transactionRunner, type TransactionRunner } from './transaction-runner.js';
import type {
  SubscriptionErrorInfo,
  SubscriptionHandler,
  SubscriptionOptions,
  SubscriptionState,
  SubscriptionStatus,
} from './subscription-options.js';

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
  /** Called whenever the runner's checkpoint moves (after it is committed) or is read back. */
  readonly onProgress?: ((subscription: string, position: Position) => void) | undefined;
}

/** `step-aside`: the next event was written by newer code; give the lock up and try again later. */
type Outcome = 'ok' | 'failed' | 'interrupted' | 'infrastructure' | 'lost-lock' | 'step-aside';

const INFRASTRUCTURE_RETRY: RetryPolicy = retryPolicy({
  maxAttempts: Number.MAX_SAFE_INTEGER,
  initialDelayMs: 200,
  maxDelayMs: 30_000,
});

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
  readonly #feed: SubscriptionFeed;
  readonly #errors: SubscriptionErrorLog;
  readonly #checkpoint: RunnerCheckpoint;

  #state: SubscriptionState = 'idle';
  /** The latest run; an earlier one whose stop was forced may still be finishing a handler. */
  #current: Run | undefined;
  #paused = false;
  #firstStart = true;
  #reload = false;
  #woken = false;
  #changed: (() => void) | undefined;
  #mutex: Promise<unknown> = Promise.resolve();
  #infrastructureFailures = 0;
  #processed = 0;
  #deadLettered = 0;
  #failure: SubscriptionErrorInfo | undefined;
  /** The too-new events already reported (`<type> v<version>`), so each is told once. */
  readonly #tooNewReported = new Set<string>();

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
      throw new SubscriptionConfigError(
        options.name,
        `batchSize must be an integer ≥ 1, got ${String(options.batchSize)}.`,
      );
    }
    if (!(this.#timeoutMs > 0)) throw new SubscriptionConfigError(options.name, 'handlerTimeoutMs must be > 0.');
    if (!(this.#pollMs > 0)) throw new SubscriptionConfigError(options.name, 'pollIntervalMs must be > 0.');
    this.#transaction = transactionRunner(env, options);
    this.#feed = new SubscriptionFeed(env.store, options, this.#batchSize);
    this.#errors = new SubscriptionErrorLog(options.name, env.onError);
    this.#checkpoint = new RunnerCheckpoint(options.name, env.checkpoints, env.onProgress);
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  /** Last checkpointed position as this runner knows it (null before the first, or while not holding the lock). */
  get position(): Position | null {
    return this.#checkpoint.position;
  }

  get holdsLock(): boolean {
    return this.#current?.lockHandle?.held === true;
  }

  /** True from `start()` until a stop is requested or the loop ends (on `stopOnError`). */
  get running(): boolean {
    const run = this.#current;
    return run !== undefined && !run.ended && !run.stopping;
  }

  /**
   * Starts the loop, unless it runs. After a stop whose handler is still running (forced), the new
   * loop waits for that handler and its loop to end (the state stays `stopping` meanwhile), then
   * takes the lock and goes on from the checkpoint.
   */
  start(): void {
    const previous = this.#current;
    if (previous && !previous.ended && !previous.stopping) return;
    this.#failure = undefined;
    const run = new Run();
    this.#current = run;
    run.exited = this.#loop(run, previous && !previous.ended ? previous : undefined).catch((error: unknown) =>
      this.#infrastructureError(error),
    );
  }

  /**
   * Asks the loop to stop at the next event boundary: the handler in flight finishes, the events
   * done are checkpointed, no other event or batch starts (a batch handler's batch commits whole
   * or not at all), then the lock is released. After `timeoutMs` the stop is forced: the handler's
   * `context.signal` is aborted, the progress already made is checkpointed, and the run is fenced
   * before the lock is given up, so the abandoned handler, if it runs on, writes nothing
   * (its transaction rolls back and its event is delivered again). The state stays `stopping` until
   * that handler has returned.
   */
  async stop(timeoutMs: number): Promise<{ forced: boolean }> {
    const run = this.#current;
    if (!run || run.ended) return { forced: false };
    if (!run.stopping) {
      run.stopping = true;
      run.stopController.abort();
      this.#state = 'stopping';
      this.#poke();
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      run.exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (finished) return { forced: false };
    await (run.forcing ??= this.#force(run));
    return { forced: true };
  }

  /** Resolves once the event (or a batch handler's batch) in flight is done; nothing more is processed until `resume`. */
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
    const position = this.holdsLock ? this.#checkpoint.position : await this.#env.checkpoints.load(this.name);
    const lag = await this.#feed.lag(position, this.#env.lagCountLimit);
    return {
      name: this.name,
      state: this.#state,
      position,
      lagEvents: lag.events,
      lagEventsCapped: lag.capped,
      lagSeconds: lag.oldest ? Math.max(0, (Date.now() - lag.oldest.getTime()) / 1000) : 0,
      processed: this.#processed,
      deadLettered: this.#deadLettered,
      errorCount: this.#errors.count,
      recentErrors: this.#errors.recent,
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
            await this.#callHandler(undefined, [stored], {
              sql,
              transaction: tx,
              attempt: entry.attempts + 1,
              redelivery: true,
            });
            if (dlq.transactional && sql !== undefined) {
              await dlq.resolve(entry.id, { ...resolve, transaction: sql });
              resolved = true;
            }
          });
        } else {
          await this.#callHandler(undefined, [stored], {
            sql: undefined,
            transaction: undefined,
            attempt: entry.attempts + 1,
            redelivery: true,
          });
        }
        if (!resolved) await dlq.resolve(entry.id, resolve);
        return 'resolved';
      } catch (error) {
        const cause = error instanceof HandlerFailure ? error.error : error;
        const { message, stack } = describeError(cause);
        await dlq.add({ ...entry, error: message, stack, attempts: 1 });
        this.#errors.record({ kind: 'handler', message, eventId: entry.eventId, position: entry.position.toString() });
        return 'failed';
      }
    });
  }

  // ---------------------------------------------------------------------------------------------

  async #loop(run: Run, previous: Run | undefined): Promise<void> {
    try {
      // A forced stop's handler may still run: never two deliveries of one subscription at once.
      if (previous) await previous.exited;
      while (!run.stopping) {
        if (this.#paused) {
          this.#setState(run, 'paused');
          await this.#wait(run, this.#pollMs);
          continue;
        }
        if (!run.lockHandle?.held && !(await this.#acquire(run))) {
          if (!run.stopping) await this.#wait(run, this.#env.lockRetryMs);
          continue;
        }
        let outcome: Outcome;
        try {
          if (this.#reload) {
            this.#checkpoint.position = await this.#env.checkpoints.load(this.name);
            this.#reload = false;
          }
          this.#woken = false;
          const batch = await this.#feed.next(run, () => this.#checkpoint.position);
          if (batch.length === 0) {
            this.#setState(run, 'live');
            this.#infrastructureFailures = 0;
            await this.#wait(run, this.#pollMs, true);
            continue;
          }
          this.#setState(run, batch.length < this.#batchSize ? 'live' : 'catching-up');
          // During catch-up, read the next page while this one is being handled.
          if (batch.length === this.#batchSize) this.#feed.prefetch(run, batch[batch.length - 1]!.position);
          outcome = await this.#exclusive(() => this.#process(run, batch));
        } catch (error) {
          if (error instanceof UndecodableEventError) {
            const tooNew = versionTooNew(error);
            outcome = await this.#exclusive(() =>
              tooNew ? this.#stepAside(run, error, tooNew) : this.#undecodable(run, error),
            );
          } else {
            this.#infrastructureError(error);
            outcome = 'infrastructure';
          }
        }
        if (outcome === 'failed') {
          run.failed = true;
          return;
        }
        if (outcome === 'lost-lock') {
          await this.#releaseLock(run);
          this.#reload = true;
        } else if (outcome === 'step-aside') {
          await this.#releaseLock(run);
          this.#reload = true;
          this.#setState(run, 'standby');
          // Long enough for a standby with newer code (it retries every lockRetryMs) to take the
          // lock; wake-ups do not cut it short, only a stop does.
          await sleep(2 * Math.max(this.#env.lockRetryMs, this.#pollMs), run.stopController.signal);
        } else if (outcome === 'infrastructure') {
          this.#infrastructureFailures++;
          await sleep(backoffDelay(INFRASTRUCTURE_RETRY, this.#infrastructureFailures), run.stopController.signal);
        } else if (outcome === 'ok') {
          this.#infrastructureFailures = 0;
        }
      }
    } finally {
      await this.#releaseLock(run);
      run.ended = true;
      if (this.#current === run) this.#state = run.failed ? 'failed' : 'stopped';
    }
  }

  /** The state, as told by the latest run until a stop is asked of it. */
  #setState(run: Run, state: SubscriptionState): void {
    if (this.#current === run && !run.stopping) this.#state = state;
  }

  /** A stop or pause was asked, or the lock is lost: no further event or batch starts. */
  #interrupted(run: Run): boolean {
    return run.stopping || this.#paused || run.lockHandle?.held !== true;
  }

  /** The stop timed out: abort the handler, checkpoint what is done, fence the run, give the lock up. */
  async #force(run: Run): Promise<void> {
    run.forceController.abort(new Error(`Subscription "${this.name}" was stopped before its handler finished.`));
    const leave = await run.enter();
    try {
      await this.#writePending(run);
    } finally {
      run.fenced = true;
      leave();
    }
    // Not awaited: on SQLite a transaction the abandoned handler holds open keeps the lease table
    // waiting. The run is fenced, and a new run waits for this release (run.exited).
    void this.#releaseLock(run);
  }

  /** Enters a write of `run` (see {@link Run.enter}) while it still holds its lock. */
  async #enterWrite(run: Run): Promise<() => void> {
    const leave = await run.enter();
    if (run.lockHandle?.held !== true) {
      leave();
      throw new LockLost();
    }
    return leave;
  }

  async #acquire(run: Run): Promise<boolean> {
    let handle: LockHandle | undefined;
    try {
      handle = await this.#env.lock.tryAcquire(this.name);
    } catch (error) {
      this.#infrastructureError(error);
      return false;
    }
    if (!handle) {
      this.#setState(run, 'standby');
      return false;
    }
    run.lockHandle = handle;
    if (run.stopping) {
      await this.#releaseLock(run);
      return false;
    }
    try {
      this.#checkpoint.position = await this.#startPosition(run);
      this.#reload = false;
      return true;
    } catch (error) {
      if (!(error instanceof Fenced)) this.#infrastructureError(error);
      await this.#releaseLock(run);
      return false;
    }
  }

  async #startPosition(run: Run): Promise<Position | null> {
    const { checkpoints, store } = this.#env;
    const saved = await checkpoints.load(this.name);
    const from = this.#options.startFrom ?? 'checkpoint';
    if (!this.#firstStart || from === 'checkpoint') return saved;
    const target = from === 'beginning' ? null : from === 'end' ? await store.currentPosition() : from;
    const leave = await this.#enterWrite(run);
    try {
      await checkpoints.reset(this.name, target);
    } finally {
      leave();
    }
    this.#firstStart = false;
    return target;
  }

  #releaseLock(run: Run): Promise<void> {
    const handle = run.lockHandle;
    run.lockHandle = undefined;
    if (handle) {
      const release = handle.release().catch((error: unknown) => this.#infrastructureError(error));
      run.released = Promise.all([run.released, release]).then(() => undefined);
    }
    return run.released;
  }

  async #process(run: Run, batch: StoredEvent[]): Promise<Outcome> {
    if (this.#interrupted(run)) return 'interrupted';
    if (this.#transaction) {
      const first = await this.#attempt(run, batch, 1);
      if (!(first instanceof HandlerFailure)) return first;
      if (run.fenced) return 'interrupted';
      this.#handlerError(first.error, batch[first.index]!);
      if (batch.length === 1) return this.#deliver(run, batch, 2, first.error);
      if (isBatchHandler(this.#handler)) return this.#oneByOne(run, batch);
      // Everything before the failing event succeeded: commit it, then retry the failing one alone.
      if (first.index > 0) {
        const prefix = await this.#deliver(run, batch.slice(0, first.index), 1);
        if (prefix !== 'ok') return prefix;
      }
      return this.#deliver(run, [batch[first.index]!], 2, first.error);
    }
    try {
      if (isBatchHandler(this.#handler)) return await this.#deliver(run, batch, 1);
      return await this.#oneByOne(run, batch);
    } finally {
      await this.#flushPending(run);
    }
  }

  async #oneByOne(run: Run, batch: readonly StoredEvent[]): Promise<Outcome> {
    for (const stored of batch) {
      if (this.#interrupted(run)) return 'interrupted';
      const outcome = await this.#deliver(run, [stored], 1);
      if (outcome !== 'ok') return outcome;
    }
    return 'ok';
  }

  /** Delivers `unit` with retries; parks it (one event at a time) or stops when they run out. */
  async #deliver(run: Run, unit: readonly StoredEvent[], firstAttempt: number, previous?: unknown): Promise<Outcome> {
    let lastError = previous;
    for (let attempt = firstAttempt; attempt <= this.#policy.maxAttempts; attempt++) {
      if (attempt > 1) {
        await sleep(backoffDelay(this.#policy, attempt - 1), run.stopController.signal);
        if (this.#interrupted(run)) return 'interrupted';
      }
      const result = await this.#attempt(run, unit, attempt);
      if (!(result instanceof HandlerFailure)) return result;
      if (run.fenced) return 'interrupted'; // aborted by a forced stop: not the event's failure
      lastError = result.error;
      this.#handlerError(result.error, unit[result.index]!);
    }
    if (unit.length > 1) return this.#oneByOne(run, unit);
    const stored = unit[0]!;
    if (this.#options.stopOnError) {
      const { message } = describeError(lastError);
      this.#failure = {
        kind: 'handler',
        message,
        at: new Date(),
        eventId: stored.event.eventId,
        position: stored.position.toString(),
      };
      return 'failed';
    }
    return this.#park(run, parkTarget(stored), lastError, this.#policy.maxAttempts);
  }

  /**
   * The feed stopped at an event the store cannot decode: stop (`stopOnError`), or park it in
   * the dead-letter queue in its stored form, with the reason, and move past it.
   */
  async #undecodable(run: Run, error: UndecodableEventError): Promise<Outcome> {
    if (this.#interrupted(run)) return 'interrupted';
    if (this.#checkpoint.position && !error.position.isAfter(this.#checkpoint.position)) {
      this.#infrastructureError(error); // not the next event: a store bug; retry the read
      return 'infrastructure';
    }
    const info = {
      kind: 'undecodable' as const,
      message: describeError(error).message,
      eventId: error.eventId,
      position: error.position.toString(),
    };
    this.#errors.record(info);
    if (this.#options.stopOnError) {
      this.#failure = { ...info, at: new Date() };
      return 'failed';
    }
    const { record } = error;
    const target = {
      eventId: error.eventId,
      eventType: record.eventType,
      streamId: error.streamId,
      position: error.position,
      storedAt: error.storedAt,
      record,
    };
    try {
      return await this.#park(run, target, error, 1);
    } finally {
      await this.#flushPending(run); // outside a transaction, the checkpoint moves past it now
    }
  }

  /**
   * The feed stopped at an event of a schema version newer than this process's registry knows:
   * written by a newer release of the app (a rolling deploy), not corrupt. It is neither parked
   * nor skipped, whatever `stopOnError` says: the checkpoint stays before it and the run gives its
   * lock up, so a process running the newer release takes the subscription over; until one does,
   * this one tries again after a while. Told once per event type and version.
   */
  async #stepAside(run: Run, error: UndecodableEventError, cause: EventVersionTooNewError): Promise<Outcome> {
    if (this.#interrupted(run)) return 'interrupted';
    if (this.#checkpoint.position && !error.position.isAfter(this.#checkpoint.position)) {
      this.#infrastructureError(error); // not the next event: a store bug; retry the read
      return 'infrastructure';
    }
    await this.#flushPending(run);
    const key = `${cause.eventType} v${cause.storedVersion}`;
    if (!this.#tooNewReported.has(key)) {
      this.#tooNewReported.add(key);
      this.#errors.record({
        kind: 'newer-version',
        message:
          `${this.name}: ${error.record.eventType} v${cause.storedVersion} at position ${error.position.toString()} ` +
          `was written by a newer version of the app (this process knows up to v${cause.currentVersion}); it waits ` +
          'and leaves the subscription to a process that runs the newer version.',
        eventId: error.eventId,
        position: error.position.toString(),
      });
    }
    return 'step-aside';
  }

  /**
   * One try: the handler and, in a transactional subscription, the checkpoint in the same
   * transaction. A handler of single events stops between events when the run is interrupted;
   * the events done so far count (and commit, in a transaction) as the unit.
   */
  async #attempt(run: Run, unit: readonly StoredEvent[], attempt: number): Promise<Outcome | HandlerFailure> {
    let leave: (() => void) | undefined;
    try {
      if (this.#transaction) {
        let done = 0;
        await this.#transaction(async (sql, tx) => {
          done = await this.#callHandler(run, unit, { sql, transaction: tx, attempt, redelivery: false });
          leave = await this.#enterWrite(run); // held until the commit has ended
          await this.#checkpoint.save(unit[done - 1]!.position, sql);
        });
        this.#checkpoint.position = unit[done - 1]!.position;
        this.#processed += done;
      } else {
        const done = await this.#callHandler(run, unit, {
          sql: undefined,
          transaction: undefined,
          attempt,
          redelivery: false,
        });
        run.pending = unit[done - 1]!.position;
        this.#processed += done;
      }
      return 'ok';
    } catch (error) {
      if (error instanceof HandlerFailure) return error;
      return this.#writeFailure(error);
    } finally {
      leave?.();
    }
  }

  /** The outcome of a write that failed (fenced, lock lost, compare-and-set lost, or the database). */
  #writeFailure(error: unknown): Outcome {
    if (error instanceof Fenced) return 'interrupted';
    if (error instanceof LockLost) return 'lost-lock';
    this.#infrastructureError(error);
    return error instanceof CheckpointConflictError ? 'lost-lock' : 'infrastructure';
  }

  async #flushPending(run: Run): Promise<void> {
    let leave: (() => void) | undefined;
    try {
      leave = await run.enter();
      await this.#writePending(run);
    } catch {
      // Fenced: a forced stop wrote what it could while it held the lock.
    } finally {
      leave?.();
    }
  }

  /** Saves the progress made outside a transaction; call inside {@link Run.enter}. */
  async #writePending(run: Run): Promise<void> {
    const pending = run.pending;
    if (
      !pending ||
      (this.#checkpoint.position && !pending.isAfter(this.#checkpoint.position)) ||
      run.lockHandle?.held !== true
    )
      return;
    try {
      await this.#checkpoint.save(pending, undefined);
      this.#checkpoint.position = pending;
    } catch (error) {
      this.#infrastructureError(error);
      // Not saved: the events since the checkpoint are delivered again (at least once).
      if (error instanceof CheckpointConflictError) void this.#releaseLock(run);
    }
  }

  async #park(run: Run, stored: ParkTarget, error: unknown, attempts: number): Promise<Outcome> {
    const { deadLetters } = this.#env;
    const { message, stack } = describeError(error);
    const entry = { subscription: this.name, ...stored, error: message, stack, attempts };
    let leave: (() => void) | undefined;
    try {
      if (this.#transaction) {
        if (!deadLetters.transactional) {
          leave = await this.#enterWrite(run);
          await deadLetters.add(entry);
        }
        await this.#transaction(async (sql) => {
          leave ??= await this.#enterWrite(run);
          if (deadLetters.transactional && sql !== undefined) await deadLetters.add(entry, { transaction: sql });
          else if (deadLetters.transactional) await deadLetters.add(entry);
          await this.#checkpoint.save(stored.position, sql);
        });
        this.#checkpoint.position = stored.position;
      } else {
        leave = await this.#enterWrite(run);
        await deadLetters.add(entry);
        run.pending = stored.position;
      }
    } catch (failure) {
      return this.#writeFailure(failure);
    } finally {
      leave?.();
    }
    this.#deadLettered++;
    instruments().subscriptionDeadLetters.add(1, { [MetricAttributes.subscription]: this.name });
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

  /** Calls the handler for `unit`; returns how many of its events were handled (all, unless the run was interrupted between two). */
  #callHandler(run: Run | undefined, unit: readonly StoredEvent[], base: HandlerContextBase): Promise<number> {
    const call: HandlerCall = {
      subscription: this.name,
      handler: this.#handler,
      timeoutMs: this.#timeoutMs,
      force: (run ?? this.#current)?.forceController.signal,
      interrupted: run ? () => this.#interrupted(run) : undefined,
    };
    return callHandler(call, unit, base);
  }

  #handlerError(error: unknown, stored: StoredEvent): void {
    this.#errors.record({
      kind: 'handler',
      message: describeError(error).message,
      eventId: stored.event.eventId,
      position: stored.position.toString(),
    });
  }

  #infrastructureError(error: unknown): void {
    this.#errors.record({ kind: 'infrastructure', message: describeError(error).message });
  }

  /** Waits up to `ms`, or until poked (a wake-up when `wakeable`, or a pause/resume/stop). */
  async #wait(run: Run, ms: number, wakeable = false): Promise<void> {
    if (run.stopping || (wakeable && this.#woken)) return;
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

/** The registry's {@link EventVersionTooNewError} behind `error`, if that is why it could not decode. */
function versionTooNew(error: UndecodableEventError): EventVersionTooNewError | undefined {
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && cause !== null && depth < 10; depth++) {
    if (cause instanceof EventVersionTooNewError) return cause;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
