import { InvalidArgumentError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { checkPosition, describeValue } from '../store/store-input.js';
import type { Position } from '../store/position.js';
import type { DeadLetterEntry } from '../subscriptions/dead-letter-queue.js';
import type { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import {
  ProjectionDeadLetteredError,
  ProjectionWaitTimeoutError,
  type ProjectionBehind,
  type ProjectionDeadLetter,
} from './app-errors.js';

export interface WaitForProjectionsOptions {
  /** Wait until the projections have handled every event up to this position. Default: the store's current end. */
  readonly position?: Position | null | undefined;
  /** Give up after this many milliseconds with `ProjectionWaitTimeoutError`. Default 30 s. */
  readonly timeout?: number | undefined;
  /** Only these projections (by name). Default: all of the app's. */
  readonly projections?: readonly string[] | undefined;
  /**
   * Wait for the reactions too (for the commands they dispatch, not for the projections of what
   * those commands append: wait again for that). Default false.
   */
  readonly includeReactions?: boolean | undefined;
  /**
   * What a dead letter means. A projection that fails on an event parks it in the dead-letter
   * queue and moves on, so its read model lacks that event. With `'reject'` (the default) the wait
   * throws `ProjectionDeadLetteredError` once a projection it waits for has passed `position`
   * with an unresolved dead letter of an event at or before `position`, however old: the read
   * model is not what `position` promises until the entry is retried successfully
   * (`eventsmith dlq retry <id>`) or resolved (`eventsmith dlq resolve <id>`). An entry being
   * retried is waited for. `'ignore'` only waits for the checkpoints, as if events parked had
   * been applied: for callers that read what they can and look at the dead-letter queue elsewhere.
   *
   * @example
   * ```ts
   * await app.waitForProjections({ position, deadLetters: 'ignore' });
   * ```
   */
  readonly deadLetters?: 'reject' | 'ignore' | undefined;
}

/** A projection's name and the event types it reads. */
export interface WatchedProjection {
  readonly name: string;
  readonly eventTypes: readonly string[];
}

/**
 * Resolves once each projection has handled every event of its types up to `position`. It checks
 * when the manager reports progress (`onProgress`), and otherwise at the manager's poll interval,
 * in case a projection stopped or its last events are of types it does not read. A projection
 * that has passed `position` is done once the dead-letter queue holds no unresolved entry of its
 * up to `position` (one query); a pending one rejects the wait, one being retried keeps it waiting.
 */
export async function waitForProjections(
  manager: SubscriptionManager,
  store: EventStore,
  projections: readonly WatchedProjection[],
  options: WaitForProjectionsOptions & { readonly recheckMs: number },
): Promise<void> {
  const timeout = options.timeout ?? 30_000;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new InvalidArgumentError(
      `waitForProjections: timeout must be a number of milliseconds ≥ 0, got ${describeValue(timeout)}. Leave it out for the default (30,000 ms).`,
    );
  }
  const deadLetters = options.deadLetters ?? 'reject';
  if (deadLetters !== 'reject' && deadLetters !== 'ignore') {
    throw new InvalidArgumentError(
      `waitForProjections: deadLetters must be 'reject' or 'ignore', got ${describeValue(deadLetters)}. Leave it out for the default ('reject').`,
    );
  }
  if (options.position != null)
    checkPosition('waitForProjections: position', store.storeId, options.position, ' (or null)');
  const target = options.position === undefined ? await store.currentPosition() : options.position;
  if (target === null || projections.length === 0) return;
  const parkedUpTo = async (name: string): Promise<DeadLetterEntry | undefined> =>
    deadLetters === 'ignore' ? undefined : manager.deadLetters.firstUnresolved(name, target);
  const pending = new Map(projections.map((p) => [p.name, p]));
  let wake: () => void = () => undefined;
  const off = manager.onProgress((name) => {
    if (pending.has(name)) wake();
  });
  const deadline = Date.now() + timeout;
  try {
    for (;;) {
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const parked = new Map<string, DeadLetterEntry | undefined>();
      for (const projection of [...pending.values()]) {
        if (!(await caughtUp(manager, store, projection, target))) continue;
        const entry = await parkedUpTo(projection.name);
        parked.set(projection.name, entry);
        if (!entry) pending.delete(projection.name);
      }
      if ([...parked.values()].some((entry) => entry?.status === 'pending')) {
        // Name every projection that dead-lettered an event up to the target, caught up or not.
        for (const name of pending.keys()) if (!parked.has(name)) parked.set(name, await parkedUpTo(name));
        const refused = [...parked.values()].filter((e): e is DeadLetterEntry => e?.status === 'pending');
        throw new ProjectionDeadLetteredError(target, refused.map(deadLetterOf));
      }
      if (pending.size === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new ProjectionWaitTimeoutError(target, timeout, await behind(manager, pending, parkedUpTo));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, Math.min(left, options.recheckMs))))]);
      clearTimeout(timer);
    }
  } finally {
    off();
  }
}

/** Whether the projection's checkpoint is at or past `target`, or no event of its types lies between. */
async function caughtUp(
  manager: SubscriptionManager,
  store: EventStore,
  projection: WatchedProjection,
  target: Position,
): Promise<boolean> {
  const position = await manager.checkpoints.load(projection.name);
  if (position !== null && !target.isAfter(position)) return true;
  for await (const next of store.readAll({ after: position, eventTypes: projection.eventTypes, limit: 1 })) {
    return next.position.isAfter(target);
  }
  return true;
}

async function behind(
  manager: SubscriptionManager,
  pending: ReadonlyMap<string, WatchedProjection>,
  parkedUpTo: (name: string) => Promise<DeadLetterEntry | undefined>,
): Promise<ProjectionBehind[]> {
  return Promise.all(
    [...pending.keys()].map(async (name) => {
      const [status, entry] = await Promise.all([manager.status(name), parkedUpTo(name)]);
      return {
        name,
        position: status.position,
        state: status.state,
        ...(entry ? { deadLetter: deadLetterOf(entry) } : {}),
      };
    }),
  );
}

function deadLetterOf(entry: DeadLetterEntry): ProjectionDeadLetter {
  return {
    name: entry.subscription,
    deadLetterId: entry.id,
    status: entry.status,
    eventId: entry.eventId,
    eventType: entry.eventType,
    streamId: entry.streamId,
    position: entry.position,
    error: entry.error,
  };
}
