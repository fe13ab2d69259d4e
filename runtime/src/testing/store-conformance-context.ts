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
}

export type StoreFactory = () => Promise<StoreUnderTest>;

/** Opens a fresh, empty store whose connection pool holds at most `connections` connections. */
export type PooledStoreFactory = (connections: number) => Promise<StoreUnderTest>;

/** Gives each test a fresh store from `factory` and tears it down afterwards. */
export function useStore(factory: StoreFactory): () => EventStore {
  let current: StoreUnderTest | undefined;
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
export function newStream(aggregateType = CONFORMANCE_AGGREGATE_TYPE): { streamId: string; aggregateId: string; aggregateType: string } {
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
