import { describe, expect, it } from 'vitest';
import { mapLimited } from './map-limited.js';

describe('mapLimited', () => {
  it('gives the results in the items’ order, with at most `limit` calls running', async () => {
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const done = mapLimited([5, 4, 3, 2, 1, 0], 2, async (n, i) => {
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return `${i}:${n}`;
    });
    // Let the calls end last-started first, so results arrive out of order.
    while (gates.length > 0 || running > 0) {
      await Promise.resolve();
      gates.pop()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await done).toEqual(['0:5', '1:4', '2:3', '3:2', '4:1', '5:0']);
    expect(most).toBe(2);
  });

  it('rejects with the first failure and starts no more calls', async () => {
    const started: number[] = [];
    await expect(
      mapLimited([1, 2, 3, 4], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('two');
        return n;
      }),
    ).rejects.toThrow('two');
    expect(started).toEqual([1, 2]);
  });

  it('answers an empty list', async () => {
    expect(await mapLimited([], 4, async () => 1)).toEqual([]);
  });
});
