import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError } from '../errors.js';
import type { AppendResult, EventStore } from '../store/event-store.js';
import { matchesExpectedVersion, type ExpectedVersion } from '../store/expected-version.js';
import { collect } from './collect.js';
import { newStream, noted } from './store-conformance-context.js';

export interface ModelTestOptions {
  /** fast-check runs of the model-based test. Default 40. */
  readonly modelRuns?: number;
  /** fast-check seed, to replay a failure. */
  readonly seed?: number;
}

type Expectation = 'current' | 'stale' | 'ahead' | 'any' | 'no_stream' | 'stream_exists';

interface Op {
  readonly stream: number;
  readonly count: number;
  readonly expect: Expectation;
}

const STREAMS = 3;

const opArbitrary: fc.Arbitrary<Op> = fc.record({
  stream: fc.integer({ min: 0, max: STREAMS - 1 }),
  count: fc.integer({ min: 1, max: 3 }),
  expect: fc.constantFrom<Expectation>('current', 'current', 'stale', 'ahead', 'any', 'no_stream', 'stream_exists'),
});

/**
 * Model-based test: rounds of appends, the appends of one round racing each other, some with a
 * stale expected version. After every round the store must agree with a simple model: each
 * append succeeded exactly when its expectation held at its commit, every stream equals the
 * model, and the global feed lists batches in commit order with strictly increasing positions.
 */
export function storeModelTests(store: () => EventStore, options: ModelTestOptions = {}): void {
  describe('model-based', () => {
    it('matches a model under random interleavings of appends, some of them stale', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(opArbitrary, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
          async (rounds) => {
            await checkRounds(store(), rounds);
          },
        ),
        { numRuns: options.modelRuns ?? 40, ...(options.seed === undefined ? {} : { seed: options.seed }) },
      );
    });
  });
}

async function checkRounds(store: EventStore, rounds: Op[][]): Promise<void> {
  const start = await store.currentPosition();
  const streams = Array.from({ length: STREAMS }, () => newStream());
  const model = streams.map(() => [] as string[]);
  const feed: string[] = [];
  let serial = 0;

  for (const round of rounds) {
    const before = model.map((events) => events.length);
    const attempts = round.map((op) => {
      const s = streams[op.stream]!;
      const expectedVersion = expectationFor(op.expect, before[op.stream]!);
      const events = noted(s, op.count, {}, (serial += op.count));
      return { op, expectedVersion, events, streamId: s.streamId };
    });
    const settled = await Promise.allSettled(
      attempts.map((a) => store.appendToStream(a.streamId, a.events, { expectedVersion: a.expectedVersion })),
    );

    // Commit order is the order of the batches' positions.
    const wins = attempts
      .map((attempt, i) => ({ attempt, outcome: settled[i]! }))
      .filter(
        (w): w is { attempt: (typeof attempts)[number]; outcome: PromiseFulfilledResult<AppendResult> } =>
          w.outcome.status === 'fulfilled',
      )
      .sort((a, b) => a.outcome.value.position.compare(b.outcome.value.position));
    const versionsSeen = before.map((v) => new Set([v]));
    for (const { attempt, outcome } of wins) {
      const current = model[attempt.op.stream]!.length;
      expect(
        matchesExpectedVersion(attempt.expectedVersion, current),
        `append expecting ${attempt.expectedVersion} committed at ${current}`,
      ).toBe(true);
      expect(outcome.value.nextVersion).toBe(current + attempt.events.length);
      model[attempt.op.stream]!.push(...attempt.events.map((e) => e.eventId));
      feed.push(...attempt.events.map((e) => e.eventId));
      versionsSeen[attempt.op.stream]!.add(model[attempt.op.stream]!.length);
    }
    settled.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      const attempt = attempts[i]!;
      expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
      const error = outcome.reason as ConcurrencyError;
      expect(error.streamId).toBe(attempt.streamId);
      expect(error.expected).toBe(attempt.expectedVersion);
      // It failed against a version the stream really had during the round, which did not match.
      expect(versionsSeen[attempt.op.stream]!.has(error.actual)).toBe(true);
      expect(matchesExpectedVersion(attempt.expectedVersion, error.actual)).toBe(false);
    });
  }

  for (let i = 0; i < STREAMS; i++) {
    const stored = await collect(store.readStream(streams[i]!.streamId));
    expect(stored.map((e) => e.event.eventId)).toEqual(model[i]);
    expect(stored.map((e) => e.streamVersion)).toEqual(model[i]!.map((_, v) => v + 1));
    expect(await store.getStreamVersion(streams[i]!.streamId)).toBe(model[i]!.length);
  }
  const all = await collect(store.readAll({ after: start }));
  expect(all.map((e) => e.event.eventId)).toEqual(feed);
  for (let i = 1; i < all.length; i++) expect(all[i]!.position.isAfter(all[i - 1]!.position)).toBe(true);
}

function expectationFor(kind: Expectation, version: number): ExpectedVersion {
  switch (kind) {
    case 'current':
      return version;
    case 'stale':
      return version > 0 ? version - 1 : version + 1;
    case 'ahead':
      return version + 2;
    default:
      return kind;
  }
}
