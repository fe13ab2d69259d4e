import { describe, expect, it } from 'vitest';
import { AggregateHolds } from './aggregate-holds.js';

describe('AggregateHolds', () => {
  it('lets messages of a free aggregate through', () => {
    const holds = new AggregateHolds();
    expect(holds.admit('A-1', undefined)).toEqual({ action: 'handle', token: undefined });
    expect(holds.isHeld('A-1')).toBe(false);
  });

  it('parks later messages behind a retrying one and releases them oldest first', () => {
    const holds = new AggregateHolds();
    const head = holds.retry('A-1', undefined); // v1 failed
    const v2 = holds.admit('A-1', undefined);
    const v3 = holds.admit('A-1', undefined);
    expect(v2.action).toBe('park');
    expect(v3.action).toBe('park');
    expect(holds.admit('B-1', undefined).action).toBe('handle'); // other aggregates are not held

    // v2 comes back from the delay queue before v1 does: parked again.
    expect(holds.admit('A-1', v2.token)).toEqual({ action: 'park', token: v2.token });
    // v1 comes back, fails again: still first in line.
    expect(holds.admit('A-1', head)).toEqual({ action: 'handle', token: head });
    expect(holds.retry('A-1', head)).toBe(head);
    // v1 succeeds; then v2 is next, and v3 only after v2.
    expect(holds.admit('A-1', head).action).toBe('handle');
    holds.done('A-1', head);
    expect(holds.admit('A-1', v3.token).action).toBe('park');
    expect(holds.admit('A-1', v2.token).action).toBe('handle');
    holds.done('A-1', v2.token);
    expect(holds.admit('A-1', v3.token).action).toBe('handle');
    holds.done('A-1', v3.token);
    expect(holds.isHeld('A-1')).toBe(false);
    expect(holds.size).toBe(0);
  });

  it('handles a returning message it never parked (after a failover) instead of holding it forever', () => {
    const holds = new AggregateHolds();
    holds.retry('A-1', undefined);
    expect(holds.admit('A-1', 'token-from-another-process')).toEqual({ action: 'handle', token: undefined });
  });

  it('forgets a token whose message could not be parked, so the aggregate is not stuck behind it', () => {
    const holds = new AggregateHolds();
    const head = holds.retry('A-1', undefined);
    holds.forget('A-1', head);
    expect(holds.isHeld('A-1')).toBe(false);
    expect(holds.admit('A-1', undefined).action).toBe('handle');
  });
});
