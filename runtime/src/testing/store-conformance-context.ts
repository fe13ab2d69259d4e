import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import type { EventInit } from '../events/domain-event.js';
import type { EventStore } from '../store/event-store.js';
import { CONFORMANCE_AGGREGATE_TYPE, ConformanceNoted } from './conformance-events.js';

/** What a store factory gives the conformance suite: a fresh, empty store. */
export interface StoreUnderTest {
  readonly store: EventStore;
  /** Closes the store and drops whatever the factory created. */
  readonly teardown?: () => Promise<void>;
  /**
   * Opens another store on the same data, once `store` is closed (the caller closes it); absent
   * when the data does not outlive the store (in memory).
   */
  readonly reopen?: () => Promise<EventStore>;
}

export type StoreFactory = () => Promise<StoreUnderTest>;

/** Opens a fresh, empty store whose connection pool holds at most `connections` connections. */
export type PooledStoreFactory = (connections: number) => Promise<StoreUnderTest>;

/** Gives each test a fresh store from `factory` and tears it down afterwards. */
export function useStore<S extends EventStore = EventStore>(
  factory: () => Promise<StoreUnderTest & { readonly store: S }>,
): () => S {
  let current: (StoreUnderTest & { readonly store: S }) | undefined;
  beforeEach(async () => {
    current = await factory();
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    await done?.teardown?.();
  });
  return () => {
    if (!current) throw new Error('The conformance store is only available inside a test.');
    return current.store;
  };
}

/** A new stream id of the conformance aggregate type. */
export function newStream(aggregateType = CONFORMANCE_AGGREGATE_TYPE): {
  streamId: string;
  aggregateId: string;
  aggregateType: string;
} {
  const aggregateId = randomUUID();
  return { streamId: `${aggregateType}-${aggregateId}`, aggregateId, aggregateType };
}

/** `count` ConformanceNoted events addressed to `stream`, numbered from `start`. */
export function noted(
  stream: { aggregateId: string; aggregateType: string },
  count = 1,
  init: EventInit = {},
  start = 1,
): ConformanceNoted[] {
  return Array.from(
    { length: count },
    (_, i) =>
      new ConformanceNoted(
        { text: `note ${start + i}`, n: start + i },
        { aggregateId: stream.aggregateId, aggregateType: stream.aggregateType, ...init },
      ),
  );
}

/** How long {@link settleWithin} waits: far beyond any answer, even on a loaded machine. */
const SETTLE_DEADLINE_MS = 20_000;

/**
 * `Promise.allSettled`, failing with a message that says so when the promises do not settle in
 * time: a store whose pool deadlocked never answers, and the test should say why it failed.
 */
export async function settleWithin<T>(
  what: string,
  promises: readonly Promise<T>[],
): Promise<PromiseSettledResult<T>[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`${what} did not settle within ${SETTLE_DEADLINE_MS} ms: the store hangs (a pool deadlock?)`)),
      SETTLE_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([Promise.allSettled(promises), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
