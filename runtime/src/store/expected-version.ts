import { ConcurrencyError, InvalidArgumentError } from '../errors.js';
import { MAX_STREAM_VERSION } from './store-input.js';

/**
 * What a writer expects of a stream before appending:
 * - `'any'`: no check;
 * - `'no_stream'`: the stream has no events;
 * - `'stream_exists'`: the stream has at least one event;
 * - a number `n` from 0 to 2,147,483,647: the stream's current version is exactly `n` (0 means no events).
 */
export type ExpectedVersion = 'any' | 'no_stream' | 'stream_exists' | number;

/** Validates an expected version given by a caller. */
export function assertExpectedVersion(expected: ExpectedVersion): void {
  if (typeof expected === 'number') {
    if (!Number.isInteger(expected) || expected < 0 || expected > MAX_STREAM_VERSION) {
      throw new InvalidArgumentError(
        `expectedVersion must be 'any', 'no_stream', 'stream_exists' or an integer from 0 to ${MAX_STREAM_VERSION} (the highest version a stream can have), got ${expected}.`,
      );
    }
  } else if (expected !== 'any' && expected !== 'no_stream' && expected !== 'stream_exists') {
    throw new InvalidArgumentError(
      `expectedVersion must be 'any', 'no_stream', 'stream_exists' or an integer ≥ 0, got "${String(expected)}".`,
    );
  }
}

/** Whether a stream at `actual` satisfies `expected`. */
export function matchesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 0;
    case 'stream_exists':
      return actual > 0;
    default:
      return actual === expected;
  }
}

/** Throws {@link ConcurrencyError} unless the stream at `actual` satisfies `expected`. */
export function checkExpectedVersion(streamId: string, expected: ExpectedVersion, actual: number): void {
  if (!matchesExpectedVersion(expected, actual)) throw new ConcurrencyError(streamId, expected, actual);
}
