import { describe, expect, it } from 'vitest';
import type { Formatter } from '../format/format-source.js';
import { formatMemo } from './format-memo.js';

describe('formatMemo', () => {
  it('formats a path again only when its emitted text changed', async () => {
    const calls: string[] = [];
    const format = formatMemo(async (path, text) => {
      calls.push(`${path}:${text}`);
      return text.toUpperCase();
    });
    expect(await format('a.ts', 'one', 'typescript')).toBe('ONE');
    expect(await format('b.ts', 'one', 'typescript')).toBe('ONE');
    expect(await format('a.ts', 'one', 'typescript')).toBe('ONE');
    expect(await format('a.ts', 'two', 'typescript')).toBe('TWO');
    expect(await format('a.ts', 'one', 'typescript')).toBe('ONE');
    expect(calls).toEqual(['a.ts:one', 'b.ts:one', 'a.ts:two', 'a.ts:one']);
  });

  it('does not remember a failure', async () => {
    let fail = true;
    const inner: Formatter = async (path, text) => {
      if (fail) throw new Error(`${path} does not parse`);
      return text;
    };
    const format = formatMemo(inner);
    await expect(format('a.ts', 'x', 'typescript')).rejects.toThrow('a.ts does not parse');
    fail = false;
    expect(await format('a.ts', 'x', 'typescript')).toBe('x');
  });
});
