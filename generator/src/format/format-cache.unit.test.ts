import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatCacheFile, openFormatCache } from './format-cache.js';
import { formatSource, PRETTIER_OPTIONS, prettierIdentity, type Formatter } from './format-source.js';

const TEXTS = ['export const a = {x:1};', 'export type B = {b: string,   c: number};', 'export const c=[1,2,3]'];

/** formatSource, counting the texts it formats. */
function counting(): { format: Formatter; calls: () => number } {
  let calls = 0;
  return {
    format: (path, text, kind) => {
      calls++;
      return formatSource(path, text, kind);
    },
    calls: () => calls,
  };
}

async function run(file: string | undefined, texts = TEXTS, identity?: string) {
  const base = counting();
  const cache = openFormatCache(file, { format: base.format, ...(identity ? { identity } : {}) });
  const out = await Promise.all(texts.map((t, i) => cache.format(`gen/f${i}.ts`, t, 'typescript')));
  await cache.save();
  return { out, calls: base.calls(), stats: cache.stats };
}

const expected = () => Promise.all(TEXTS.map((t, i) => formatSource(`gen/f${i}.ts`, t, 'typescript')));

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eventsmith-format-cache-'));
  file = join(dir, 'node_modules', '.cache', 'eventsmith', 'format-test.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('format cache', () => {
  it('formats a text once across runs, with the same result', async () => {
    const first = await run(file);
    expect(first.calls).toBe(3);
    expect(first.out).toEqual(await expected());
    const second = await run(file);
    expect(second.calls).toBe(0);
    expect(second.stats).toEqual({ hits: 3, misses: 0 });
    expect(second.out).toEqual(first.out);
  });

  it('keeps the file when a run formats nothing (it stopped before the format stage)', async () => {
    await run(file);
    await openFormatCache(file).save();
    expect((await run(file)).calls).toBe(0);
  });

  it('keeps only the texts of the last run', async () => {
    await run(file);
    await run(file, [TEXTS[0]!]);
    expect((await run(file)).calls).toBe(2);
  });

  it('formats again, and repairs the file, when it is damaged', async () => {
    await run(file);
    const good = await readFile(file, 'utf8');
    const damaged = [
      good.slice(0, good.length - 10), // truncated
      good.replace('x: 1', 'x: 2'), // a changed result: the checksum no longer matches
      'not a cache\n{}',
      '',
      good.split('\n')[0] + '\n[1, 2]', // right header, other entries
    ];
    for (const text of damaged) {
      await writeFile(file, text);
      const again = await run(file);
      expect(again.calls).toBe(3);
      expect(again.out).toEqual(await expected());
      expect((await run(file)).calls).toBe(0); // rewritten whole
    }
  });

  it('is ignored when prettier or its options change', async () => {
    expect(JSON.parse(prettierIdentity())).toMatchObject({
      prettier: expect.stringMatching(/^3\./),
      parser: 'babel-ts',
      eventsmith: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(prettierIdentity({ ...PRETTIER_OPTIONS, printWidth: 80 })).not.toBe(prettierIdentity());
    await run(file);
    const other = prettierIdentity({ ...PRETTIER_OPTIONS, printWidth: 80 });
    expect((await run(file, TEXTS, other)).calls).toBe(3);
    expect((await run(file, TEXTS, other)).calls).toBe(0);
    expect((await run(file)).calls).toBe(3);
  });

  it('never fails a run when the file cannot be read or written', async () => {
    await writeFile(join(dir, 'node_modules'), 'a file where the folder should be');
    const first = await run(file);
    expect(first.out).toEqual(await expected());
    expect((await run(file)).calls).toBe(3);
    // A folder where the cache file should be: unreadable and unwritable.
    const blocked = join(dir, 'blocked.json');
    await mkdir(blocked);
    expect((await run(blocked)).out).toEqual(await expected());
    expect((await run(undefined)).calls).toBe(3);
  });

  it('passes JSON and other files through', async () => {
    const base = counting();
    const cache = openFormatCache(file, { format: base.format });
    expect(await cache.format('gen/a.json', '{"a":1}', 'json')).toBe('{\n  "a": 1\n}\n');
    expect(await cache.format('gen/a.md', '#  A', 'none')).toBe('#  A');
    expect(cache.stats).toEqual({ hits: 0, misses: 0 });
  });

  it('lives in the nearest node_modules, keeping the ten most recently written projects', async () => {
    const root = join(dir, 'app', 'packages', 'domain');
    await mkdir(join(dir, 'app', 'node_modules'), { recursive: true });
    await mkdir(root, { recursive: true });
    const at = formatCacheFile({ root, file: join(root, 'eventsmith.config.yaml') });
    expect(at).toMatch(/app\/node_modules\/\.cache\/eventsmith\/format-[0-9a-f]{16}\.json$/);
    expect(formatCacheFile({ root: dir, file: join(dir, 'eventsmith.config.yaml') })).toBeUndefined();

    const cacheDir = join(dir, 'app', 'node_modules', '.cache', 'eventsmith');
    for (let i = 0; i < 12; i++) {
      const path = join(cacheDir, `format-${i}.json`);
      await run(path, [TEXTS[0]!]);
      await utimes(path, 1_000 + i, 1_000 + i);
    }
    await run(at!);
    const left = (await readdir(cacheDir)).sort();
    expect(left).toHaveLength(10);
    expect(left).toContain(at!.split('/').pop());
    expect(left).not.toContain('format-0.json');
    expect(left).not.toContain('format-2.json');
    expect(left).toContain('format-11.json');
  });
});
