import { InvalidArgumentError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { checkPosition, describeValue } from '../store/store-input.js';
import type { Position } from '../store/position.js';
import type { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { ProjectionWaitTimeoutError, type ProjectionBehind } from './app-errors.js';

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
}

/** A projection's name and the event types it reads. */
export interface WatchedProjection {
  readonly name: string;
  readonly eventTypes: readonly string[];
}

/**
 * Resolves once each projection has handled every event of its types up to `position`. It checks
 * when the manager reports progress (`onProgress`), and otherwise at the manager's poll interval,
 * in case a projection stopped or its last events are of types it does not read.
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
  if (options.position != null)
    checkPosition('waitForProjections: position', store.storeId, options.position, ' (or null)');
  const target = options.position === undefined ? await store.currentPosition() : options.position;
  if (target === null || projections.length === 0) return;
  const pending = new Map(projections.map((p) => [p.name, p]));
  let wake: () => void = () => undefined;
  const off = manager.onProgress((name) => {
    if (pending.has(name)) wake();
  });
  const deadline = Date.now() + timeout;
  try {
    for (;;) {
      const woken = new Promise<void>((resolve) => (wake = resolve));
      for (const projection of [...pending.values()]) {
        if (await caughtUp(manager, store, projection, target)) pending.delete(projection.name);
      }
      if (pending.size === 0) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new ProjectionWaitTimeoutError(target, timeout, await behind(manager, [...pending.keys()]));
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

async function behind(manager: SubscriptionManager, names: readonly string[]): Promise<ProjectionBehind[]> {
  return Promise.all(
    names.map(async (name) => {
      const status = await manager.status(name);
      return { name, position: status.position, state: status.state };
    }),
  );
}
