import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean } from './suggest.js';

describe('closestMatch', () => {
  it('suggests a name with two neighbouring letters swapped, even a short one', () => {
    expect(closestMatch('nmae', ['completed', 'name', 'tier'])).toBe('name');
    expect(didYouMean('tiet', ['tier', 'name'])).toBe(' Did you mean "tier"?');
    expect(closestMatch('amuont', ['amount', 'currency'])).toBe('amount');
  });

  it('still suggests nothing for an unrelated name', () => {
    expect(closestMatch('zzzz', ['name', 'tier'])).toBeUndefined();
    expect(closestMatch('mean', ['name'])).toBeUndefined();
  });
});
