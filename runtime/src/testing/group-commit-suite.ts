// Shared group-commit checks for the server stores (PostgreSQL, MariaDB): called by their
// integration tests only.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ConcurrencyError, DuplicateEventError } from '../errors.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { AppendResult, EventStore, EventStoreTransaction } from '../store/event-store.js';
import { matchesExpectedVersion, type ExpectedVersion } from '../store/expected-version.js';
import { AppendConflictError } from '../store/sql/store-errors.js';
import { collect } from './collect.js';
import { tailFeed } from './never-skip-checks.js';
import { ConformanceNoted } from './conformance-events.js';
import { newStream, noted, settleWithin } from './store-conformance-context.js';

/** What the group-commit suite needs of the store and its database. */
export interface GroupCommitSuiteOptions {
  /** Property runs. */
  readonly runs: number;
  /**
   * How many of the appends that succeeded (their events and result) committed in a transaction
   * shared with another append: the suite fails unless some did, so that it tested group commit.
   */
  readonly sharedCommits: (
    succeeded: readonly { readonly events: readonly DomainEvent[]; readonly result: AppendResult }[],
  ) => Promise<number>;
  /**
   * Inside `tx`, locks the stream (at version 1) as another writer would, and returns the stream's
   * version in `tx` afterwards.
   */
  readonly lockStream: (tx: EventStoreTransaction, stream: ReturnType<typeof newStream>) => Promise<number>;
  /**
   * The store may refuse an append whose expectation held with an `AppendConflictError`: it lost
   * a race it retried too often, as it could have alone.
   */
  readonly appendConflicts?: boolean;
}

interface Op {
  readonly stream: number;
  readonly expected: ExpectedVersion;
  readonly count: number;
  /** The database refuses this append's rows (a trigger raises). */
  readonly fail: boolean;
  /** Reuse the first event id of this earlier op: one of the two must fail as a duplicate. */
  readonly duplicateOf: number | undefined;
  /** Ticks to wait before appending, so appends arrive alone, together, or while a batch flies. */
  readonly delay: number;
}

const op: fc.Arbitrary<Op> = fc.record({
  stream: fc.integer({ min: 0, max: 3 }),
  expected: fc.oneof(
    fc.constantFrom<ExpectedVersion>('any', 'no_stream', 'stream_exists'),
    fc.integer({ min: 0, max: 5 }),
  ),
  count: fc.integer({ min: 1, max: 3 }),
  fail: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
  duplicateOf: fc.option(fc.nat(), { nil: undefined }),
  delay: fc.integer({ min: 0, max: 3 }),
});

/**
 * Group commit, for a store that has it on: concurrent appends get the outcomes they would have
 * had alone, a tailing reader never skips, and an append batched with one that waits on a lock is
 * not held behind it. The store must refuse (a trigger raising 'injected failure') every event
 * whose text is `'fail'`. Call it inside the adapter's `describe`, with the store opened there.
 *
 * @example
 * ```ts
 * groupCommitSuite(() => store, {
 *   runs: 40,
 *   sharedCommits: async (succeeded) => countSharedTransactions(succeeded),
 *   lockStream: async (tx, stream) => {
 *     await tx.appendToStream(stream.streamId, noted(stream, 1, {}, 2), { expectedVersion: 1 });
 *     return 2;
 *   },
 * });
 * ```
 */
export function groupCommitSuite(store: () => EventStore, options: GroupCommitSuiteOptions): void {
  it('gives every concurrent append the outcome it would have had alone, and a tailing reader never skips', async () => {
    // Appends that committed in a transaction with another append. The random runs refuse most
    // appends (their expectations are random), so a batch of theirs rarely commits whole, and on a
    // loaded machine some runs of 40 saw none: one burst that must share first, whatever the
    // machine's speed (four appends made in one turn, each to a new stream of its own: the queue
    // sends all of them, or all but the first, as one batch), checked against the model as well.
    let shared = await checkConcurrentAppends(store(), BURST, options);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 24 }), async (ops) => {
        shared += await checkConcurrentAppends(store(), ops, options);
      }),
      { numRuns: options.runs, interruptAfterTimeLimit: 120_000 },
    );
    expect(shared).toBeGreaterThan(0); // appends did share commits: the property tested group commit
  }, 300_000);

  it("does not hold an append behind another transaction's lock on a stream it does not write", async () => {
    const s = store();
    const locked = newStream();
    const free = newStream();
    const other = newStream();
    await s.appendToStream(locked.streamId, noted(locked, 1), { expectedVersion: 'no_stream' });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: (version: number) => void;
    const held = new Promise<number>((resolve) => (holding = resolve));
    // A transaction locks `locked` and stays open until `free` has been written: it may wait for
    // work that appends outside it, as a request handler may.
    const transaction = s.transaction(async (tx) => {
      holding(await options.lockStream(tx, locked));
      await gate;
    });
    const version = await held;
    // In one turn: the first append goes alone, the next two form a batch together.
    const first = s.appendToStream(other.streamId, noted(other, 1), { expectedVersion: 'no_stream' });
    const blocked = s.appendToStream(locked.streamId, noted(locked, 1, {}, 3), { expectedVersion: 'any' });
    const unrelated = s.appendToStream(free.streamId, noted(free, 1), { expectedVersion: 'no_stream' });
    const [result] = await settleWithin('an append batched with one that waits on a lock', [unrelated]);
    expect(result!.status).toBe('fulfilled');
    release();
    await transaction;
    expect((await first).nextVersion).toBe(1);
    expect((await blocked).nextVersion).toBe(version + 1);
  }, 60_000);
}

/** Four appends that all succeed, made in one turn: one batch shares a commit. */
const BURST: readonly Op[] = [0, 1, 2, 3].map((stream) => ({
  stream,
  expected: 'no_stream',
  count: 1,
  fail: false,
  duplicateOf: undefined,
  delay: 0,
}));

/** Runs `ops` concurrently and checks them against a model; returns how many shared a commit. */
async function checkConcurrentAppends(
  store: EventStore,
  ops: readonly Op[],
  options: GroupCommitSuiteOptions,
): Promise<number> {
  const streams = Array.from({ length: 4 }, () => newStream());
  const batches: DomainEvent[][] = [];
  ops.forEach((o, i) => {
    const { aggregateId, aggregateType } = streams[o.stream]!;
    const events: DomainEvent[] = noted(streams[o.stream]!, o.count, {}, i * 10);
    if (o.duplicateOf !== undefined && i > 0) {
      const eventId = batches[o.duplicateOf % i]![0]!.eventId;
      events[0] = new ConformanceNoted({ text: 'again', n: i * 10 }, { aggregateId, aggregateType, eventId });
    }
    // After the duplicate: with one event, the refused payload takes the duplicate's place.
    if (o.fail)
      events[events.length - 1] = new ConformanceNoted({ text: 'fail', n: -1 }, { aggregateId, aggregateType });
    batches.push(events);
  });
  const start = await store.currentPosition();
  const ours = new Set(streams.map((s) => s.streamId));
  // The tailing reader: resumes after the last position it saw, until the writers are done.
  const reader = tailFeed(store, start, 7);
  const outcomes = await Promise.allSettled(
    ops.map(async (o, i) => {
      for (let t = 0; t < o.delay; t++) await new Promise((resolve) => setImmediate(resolve));
      return store.appendToStream(streams[o.stream]!.streamId, batches[i]!, { expectedVersion: o.expected });
    }),
  );
  const received = await reader.stop();
  const feed = (await collect(store.readAll({ after: start }))).filter((e) => ours.has(e.streamId));

  // Never-skip: the reader got every event of the final feed once, in its order.
  expect(received.filter((e) => ours.has(e.streamId)).map((e) => e.event.eventId)).toEqual(
    feed.map((e) => e.event.eventId),
  );

  // Successful appends, in the order they committed, replay on a model of the streams.
  const byId = new Map(feed.map((e) => [e.event.eventId, e]));
  const succeeded = outcomes
    .map((outcome, i) => ({ outcome, i }))
    .filter((x): x is { outcome: PromiseFulfilledResult<AppendResult>; i: number } => x.outcome.status === 'fulfilled')
    .sort((a, b) => (a.outcome.value.position.isAfter(b.outcome.value.position) ? 1 : -1));
  const versions = [0, 0, 0, 0];
  const reached = streams.map(() => new Set([0]));
  for (const { outcome, i } of succeeded) {
    const o = ops[i]!;
    const before = versions[o.stream]!;
    expect(matchesExpectedVersion(o.expected, before), `append ${i} expected ${o.expected}, was ${before}`).toBe(true);
    expect(o.fail).toBe(false);
    expect(outcome.value.nextVersion).toBe(before + o.count);
    const stored = batches[i]!.map((e) => byId.get(e.eventId));
    expect(stored.map((e) => [e?.streamId, e?.streamVersion])).toEqual(
      batches[i]!.map((_, k) => [streams[o.stream]!.streamId, before + k + 1]),
    );
    expect(stored[stored.length - 1]!.position.equals(outcome.value.position)).toBe(true);
    versions[o.stream] = before + o.count;
    reached[o.stream]!.add(versions[o.stream]!);
  }
  expect(feed).toHaveLength(succeeded.reduce((n, { i }) => n + ops[i]!.count, 0));
  for (const s of [0, 1, 2, 3]) expect(await store.getStreamVersion(streams[s]!.streamId)).toBe(versions[s]);

  // Refused appends wrote nothing, and were refused for a reason they would have met alone.
  const storedKeys = new Set(feed.map((e) => key(e.event)));
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return;
    const o = ops[i]!;
    const reason: unknown = outcome.reason;
    expect(batches[i]!.filter((e) => storedKeys.has(key(e)))).toEqual([]);
    if (options.appendConflicts && reason instanceof AppendConflictError) {
      // Lost its race too often (an 'any' append among inserts of a new stream): also alone.
      expect(matchesExpectedVersion(o.expected, reason.actual)).toBe(true);
    } else if (reason instanceof ConcurrencyError) {
      expect(matchesExpectedVersion(o.expected, reason.actual), `append ${i}: ${reason.message}`).toBe(false);
      expect([...reached[o.stream]!]).toContain(reason.actual);
    } else if (reason instanceof DuplicateEventError) {
      // Its id is stored, by the other append that carried it.
      expect(batches[i]!.map((e) => e.eventId)).toContain(reason.eventId);
      expect(byId.has(reason.eventId)).toBe(true);
    } else {
      expect(o.fail, `append ${i} failed with ${String(reason)}`).toBe(true);
      expect(String((reason as Error).message)).toContain('injected failure');
    }
  });
  return options.sharedCommits(succeeded.map(({ outcome, i }) => ({ events: batches[i]!, result: outcome.value })));
}

/** Tells apart events that share an id (the duplicates) by their payload number. */
function key(event: DomainEvent): string {
  return `${event.eventId}:${(event.data as { n: number }).n}`;
}
