import type { Kysely } from 'kysely';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { describeError, type DeadLetterQueue } from './dead-letter-queue.js';
import { detectDialect } from '../store/sql/sql-dialect.js';
import type { SubscriptionLock } from './subscription-lock.js';
import {
  ProjectionRebuildBusyError,
  ProjectionRebuildConfigError,
  ProjectionRebuildError,
  type PoisonEvent,
} from '../projections/projection-errors.js';
import type { Projection } from '../projections/projection.js';
import {
  createShadow,
  dropShadow,
  isPlainIdentifier,
  SHADOW_SUFFIX,
  swapShadow,
} from '../projections/shadow-tables.js';
import { TableRenamePlugin } from '../projections/table-rename-plugin.js';
import { clearPendingRebuild, listPendingRebuilds } from './sql/pending-rebuilds.js';
import { isRebuildLeaseOwner } from './sql/rebuild-lease-owner.js';

/** Controls of the live subscription of the projection being rebuilt (the manager supplies them). */
export interface LiveProjectionControl {
  /** The live subscription's checkpoint as it runs. */
  position(): Position | null;
  /** Resolves once its batch in flight is done; it then processes nothing until `resume`. */
  pause(): Promise<void>;
  resume(): void;
}

export interface RebuildProjectionOptions {
  readonly store: EventStore;
  readonly projection: Projection<any>;
  /**
   * Replay only this tenant's events: the `tenantId` the projection's subscription reads with
   * (`manager.project(projection, { tenantId })`). A rebuild must read the same feed as the
   * subscription, or the new tables get rows the live ones never had.
   */
  readonly tenantId?: string;
  /** Replay only events of these aggregate types (the subscription's `aggregateTypes`). */
  readonly aggregateTypes?: readonly string[];
  /** The database holding the projection's tables. */
  readonly db: Kysely<any>;
  /** Where the live subscription's checkpoint is (it is read, never changed). */
  readonly checkpoints: CheckpointStore;
  /** Stop at the first poison event (throwing {@link ProjectionRebuildError}) instead of reporting it. */
  readonly strict?: boolean;
  /** Events per replay transaction. Default 500. */
  readonly batchSize?: number;
  /** Poison events listed in the report at most. Default 100. */
  readonly maxReportedFailures?: number;
  /** The live subscription, when it runs in this process. */
  readonly live?: LiveProjectionControl;
  /** Without `live`: the lock that keeps other processes from running the projection meanwhile. */
  readonly lock?: SubscriptionLock;
  /** Called after each replayed batch. */
  readonly onProgress?: (replayed: number) => void;
  /**
   * The projection's dead-letter queue. After the swap, its pending entries of events the new
   * tables now hold (replayed without failing, up to the swap's position) are resolved
   * (`resolvedBy: 'rebuild'`): the rebuild applied them, so `waitForProjections` and
   * `eventsmith dlq list` stop reporting them. Entries of events that failed again stay pending.
   */
  readonly deadLetters?: DeadLetterQueue;
}

export interface RebuildReport {
  readonly projection: string;
  /** Events replayed into the new tables. */
  readonly replayed: number;
  /** Poison events that were skipped (not in strict mode). */
  readonly failures: readonly PoisonEvent[];
  /** Poison events beyond `maxReportedFailures`. */
  readonly failuresNotListed: number;
  /** The position the new tables are at (the live checkpoint at the swap). */
  readonly position: Position | null;
  /** Dead letters of the projection resolved because the new tables hold their events (with `deadLetters`). */
  readonly resolvedDeadLetters: number;
  readonly durationMs: number;
}

/**
 * Rebuilds a projection blue/green: replays its events into empty shadow copies of its tables
 * (the projection's own handlers, pointed at the copies by {@link TableRenamePlugin}), catches up
 * to the live subscription's checkpoint while it is paused, then swaps the tables in one step.
 * Reads hit the old tables until the swap and never see a half-built model; the checkpoint does
 * not move, because the new tables end exactly where the old ones were. A mark that a lossy
 * projection migration left (`listPendingRebuilds`) is cleared with the swap; a rebuild that
 * fails leaves it.
 *
 * @example
 * ```ts
 * const report = await manager.rebuild('AccountSummary');
 * for (const poison of report.failures) console.warn(poison.position, poison.eventId, poison.eventType, poison.error);
 * ```
 */
export async function rebuildProjection(options: RebuildProjectionOptions): Promise<RebuildReport> {
  const started = Date.now();
  const { projection, db, store } = options;
  const tables = projection.tables;
  for (const table of tables) {
    if (!isPlainIdentifier(table)) {
      throw new ProjectionRebuildConfigError(
        projection.name,
        `table name "${table}" must be a plain SQL identifier of at most 54 characters.`,
      );
    }
  }
  const dialect = detectDialect(db);
  // Taken as a rebuild's (its owner says so), so other processes can tell it from an app's.
  const rebuildLock = options.lock?.forRebuild?.() ?? options.lock;
  const lock = options.live ? undefined : await rebuildLock?.tryAcquire(projection.name);
  if (!options.live && rebuildLock && !lock) {
    const holder = await rebuildLock.holder?.(projection.name).catch(() => undefined);
    throw new ProjectionRebuildBusyError(
      projection.name,
      holder ? { ...holder, rebuild: isRebuildLeaseOwner(holder.owner) } : undefined,
    );
  }
  const batchSize = options.batchSize ?? 500;
  const filter = {
    eventTypes: projection.eventTypes,
    ...(options.aggregateTypes ? { aggregateTypes: options.aggregateTypes } : {}),
    ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
  };
  const maxReported = options.maxReportedFailures ?? 100;
  const shadowDb = db.withPlugin(new TableRenamePlugin(Object.fromEntries(tables.map((t) => [t, t + SHADOW_SUFFIX]))));
  const failures: PoisonEvent[] = [];
  let failureCount = 0;
  let replayed = 0;
  let position: Position | null = null;
  const skip = new Set<string>();
  const stored = options.live ? undefined : await options.checkpoints.load(projection.name);
  const target = () => (options.live ? options.live.position() : (stored ?? null));

  /** Replays every event after `position` up to `limit` into the shadow tables. */
  const replayUpTo = async (limit: Position | null) => {
    if (limit === null) return;
    for (;;) {
      const batch: StoredEvent[] = [];
      for await (const event of store.readAll({ ...filter, after: position, limit: batchSize })) {
        if (event.position.isAfter(limit)) break;
        batch.push(event);
      }
      if (batch.length === 0) return;
      await replayBatch(batch);
      position = batch[batch.length - 1]!.position;
      replayed += batch.length - batch.filter((e) => skip.has(e.event.eventId)).length;
      options.onProgress?.(replayed);
    }
  };

  const replayBatch = async (batch: StoredEvent[]) => {
    if (projection.handleBatch) {
      const events = batch.filter((e) => !skip.has(e.event.eventId));
      try {
        await shadowDb.transaction().execute((trx) => projection.handleBatch!(events, { db: trx }));
        return;
      } catch {
        // Replayed one event at a time below, which finds the failing one.
      }
    }
    for (;;) {
      let failed: { event: StoredEvent; error: unknown } | undefined;
      try {
        await shadowDb.transaction().execute(async (trx) => {
          for (const event of batch) {
            if (skip.has(event.event.eventId)) continue;
            try {
              await projection.handle(event, { db: trx });
            } catch (error) {
              failed = { event, error };
              throw error;
            }
          }
        });
        return;
      } catch (error) {
        if (!failed) throw error;
        const poison: PoisonEvent = {
          position: failed.event.position.toString(),
          eventId: failed.event.event.eventId,
          eventType: failed.event.event.eventType,
          error: describeError(failed.error).message,
        };
        if (options.strict) throw new ProjectionRebuildError(projection.name, poison);
        failureCount++;
        if (failures.length < maxReported) failures.push(poison);
        skip.add(poison.eventId);
      }
    }
  };

  let paused = false;
  try {
    await dropShadow(db, tables);
    await createShadow(db, dialect, tables);
    await replayUpTo(target());
    if (options.live) {
      await options.live.pause();
      paused = true;
    }
    const final = target();
    await replayUpTo(final);
    // The rebuild is complete: the mark of a lossy migration (`eventsmith_pending_rebuilds`) goes
    // in the same transaction as the swap, so a failed or killed rebuild keeps it. Looked up
    // first: a missing table would abort a PostgreSQL transaction.
    const marked = (await listPendingRebuilds(db)).some((p) => p.projection === projection.name);
    await swapShadow(db, dialect, tables, marked ? (trx) => clearPendingRebuild(trx, projection.name) : undefined);
    // Still paused: the live subscription cannot park anything meanwhile.
    const resolvedDeadLetters = options.deadLetters
      ? await resolveReplayed(options.deadLetters, projection, final, skip)
      : 0;
    return {
      projection: projection.name,
      replayed,
      failures,
      failuresNotListed: failureCount - failures.length,
      position: final,
      resolvedDeadLetters,
      durationMs: Date.now() - started,
    };
  } catch (error) {
    await dropShadow(db, tables).catch(() => undefined);
    throw error;
  } finally {
    if (paused) options.live!.resume();
    await lock?.release();
  }
}

/**
 * Resolves the projection's pending dead letters of events the rebuild replayed into the new
 * tables: of its event types, at or before `upTo`, and not among the events it skipped.
 */
async function resolveReplayed(
  deadLetters: DeadLetterQueue,
  projection: Projection<any>,
  upTo: Position | null,
  skipped: ReadonlySet<string>,
): Promise<number> {
  if (upTo === null) return 0;
  const types = new Set(projection.eventTypes);
  let resolved = 0;
  let afterId: string | undefined;
  for (;;) {
    const page = await deadLetters.list({
      subscription: projection.name,
      status: 'pending',
      limit: 500,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    for (const entry of page) {
      const replayed =
        entry.position.storeId === upTo.storeId &&
        !entry.position.isAfter(upTo) &&
        !skipped.has(entry.eventId) &&
        types.has(entry.eventType);
      if (!replayed) continue;
      await deadLetters.resolve(entry.id, { by: 'rebuild' });
      resolved++;
    }
    if (page.length < 500) return resolved;
    afterId = page[page.length - 1]!.id;
  }
}
