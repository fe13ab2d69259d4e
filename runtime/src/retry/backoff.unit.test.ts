import { describe, expect, it } from 'vitest';
import { backoffDelay, type Backoff } from './backoff.js';
import { DEFAULT_RETRY_POLICY, retryPolicy } from './retry-policy.js';
import { sleep } from './sleep.js';

const fixed: Backoff = { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0 };
const jittered: Backoff = { ...fixed, jitter: 0.2 };

describe('backoffDelay', () => {
  it('grows by the multiplier from the initial delay and stops at the bound', () => {
    expect([1, 2, 3, 4, 5, 6, 40, 2000].map((failures) => backoffDelay(fixed, failures))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000, 1000,
    ]);
    expect(backoffDelay({ ...fixed, multiplier: 3 }, 3)).toBe(900);
    expect(backoffDelay({ ...fixed, multiplier: 1 }, 9)).toBe(100);
  });

  it('treats zero or fewer failures as the first', () => {
    expect(backoffDelay(fixed, 0)).toBe(100);
    expect(backoffDelay(fixed, -3)).toBe(100);
  });

  it('spreads by ±jitter around the delay, in whole milliseconds', () => {
    expect(backoffDelay(jittered, 2, () => 0)).toBe(160);
    expect(backoffDelay(jittered, 2, () => 0.5)).toBe(200);
    expect(backoffDelay(jittered, 2, () => 0.999_999)).toBe(240);
    expect(backoffDelay(jittered, 1, () => 0.123)).toBe(Math.round(100 * (1 + 0.2 * (2 * 0.123 - 1))));
  });

  it('never exceeds the bound, jitter included, and is never negative', () => {
    for (let failures = 1; failures < 40; failures++) {
      const low = backoffDelay(jittered, failures, () => 0);
      const high = backoffDelay(jittered, failures, () => 0.999_999);
      expect(high).toBeLessThanOrEqual(1000);
      expect(low).toBeGreaterThanOrEqual(Math.min(100 * 2 ** (failures - 1), 1000) * 0.8 - 1);
    }
    expect(backoffDelay({ initialDelayMs: 0, maxDelayMs: 0, multiplier: 2, jitter: 1 }, 3, () => 0)).toBe(0);
  });

  it('uses Math.random when no source is given', () => {
    const delays = new Set(
      Array.from({ length: 50 }, () =>
        backoffDelay({ ...fixed, initialDelayMs: 10_000, maxDelayMs: 60_000, jitter: 0.5 }, 1),
      ),
    );
    for (const delay of delays) expect(delay).toSatisfy((d: number) => d >= 5000 && d <= 15_000);
    expect(delays.size).toBeGreaterThan(1);
  });
});

describe('retryPolicy', () => {
  it('fills in the defaults and freezes the result', () => {
    const policy = retryPolicy({ maxAttempts: 8 });
    expect(policy).toEqual({ ...DEFAULT_RETRY_POLICY, maxAttempts: 8 });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(200);
  });

  it('refuses values that make no backoff', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ initialDelayMs: -1 })).toThrow(/initialDelayMs/);
    expect(() => retryPolicy({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(/maxDelayMs/);
    expect(() => retryPolicy({ multiplier: 0.5 })).toThrow(/multiplier/);
    expect(() => retryPolicy({ jitter: 1.5 })).toThrow(/jitter/);
  });
});

describe('sleep', () => {
  it('resolves at once for no delay or an aborted signal', async () => {
    const aborted = AbortSignal.abort();
    await expect(sleep(0)).resolves.toBeUndefined();
    await expect(sleep(60_000, aborted)).resolves.toBeUndefined();
  });

  it('resolves early when the signal aborts, without rejecting', async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await expect(slept).resolves.toBeUndefined();
  });
});
