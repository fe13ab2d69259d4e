import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HELP } from './help.js';
import { runCli as run, watchUntil } from './test-support/run-cli.js';

// `generate` keeps prettier's results in node_modules/.cache/eventsmith: the output must be the same
// with and without it, and `--check` must still see every difference with the files on disk.
const DOMAIN = `domain: Lab
aggregates:
  Box:
    commands:
      open: { params: { name: string }, emits: Opened }
    events:
      Opened:
        fields:
          name: string
          openedAt: datetime
`;

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      out[path.slice(dir.length + 1)] = await readFile(path, 'utf8');
    }
  return out;
}

let root: string;
const cacheDir = () => join(root, 'node_modules', '.cache', 'eventsmith');
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'eventsmith-generate-cache-'));
  await mkdir(join(root, 'domain'));
  await mkdir(join(root, 'node_modules'));
  await writeFile(join(root, 'domain', 'lab.yaml'), DOMAIN);
  await writeFile(
    join(root, 'eventsmith.config.yaml'),
    'domains:\n  - input: domain\n    output: generated\n    userDir: src\n',
  );
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('generate with the format cache', () => {
  it('writes the same files as without it, and --check still finds a changed generated file', async () => {
    expect((await run(root, 'generate')).status).toBe(0);
    expect(await readdir(cacheDir())).toHaveLength(1);
    const cached = await tree(join(root, 'generated'));

    await rm(join(root, 'generated'), { recursive: true });
    expect((await run(root, 'generate')).status).toBe(0); // every text from the cache
    expect(await tree(join(root, 'generated'))).toEqual(cached);
    expect((await run(root, 'generate', '--check', '--no-cache')).status).toBe(0);

    const index = join(root, 'generated', 'index.ts');
    await writeFile(index, (await readFile(index, 'utf8')).replace('export', 'export  '));
    const check = await run(root, 'generate', '--check');
    expect(check.status).toBe(1);
    expect(check.out).toContain('generated/index.ts');
    expect((await run(root, 'generate')).status).toBe(0);
    expect(await tree(join(root, 'generated'))).toEqual(cached);
  });

  it('--no-cache neither reads nor writes the cache', async () => {
    expect((await run(root, 'generate', '--no-cache')).status).toBe(0);
    await expect(readdir(cacheDir())).rejects.toThrow(/ENOENT/);
    expect(HELP['generate']).toContain('--no-cache');
  });

  it('a damaged cache changes nothing', async () => {
    expect((await run(root, 'generate')).status).toBe(0);
    const cached = await tree(join(root, 'generated'));
    const [name] = await readdir(cacheDir());
    const file = join(cacheDir(), name!);
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('Box', 'Bag'));
    await rm(join(root, 'generated'), { recursive: true });
    expect((await run(root, 'generate')).status).toBe(0);
    expect(await tree(join(root, 'generated'))).toEqual(cached);
  });

  it('generate --watch fills it on its first run', async () => {
    // The cache is saved right after the first run, before watching: wait for the file, not for a time.
    await watchUntil(
      root,
      async (printed) => printed.includes('watching') && (await readdir(cacheDir()).catch(() => [])).length > 0,
    );
    const watched = await tree(join(root, 'generated'));
    await rm(join(root, 'generated'), { recursive: true });
    expect((await run(root, 'generate', '--no-cache')).status).toBe(0);
    expect(await tree(join(root, 'generated'))).toEqual(watched);
  }, 90_000);
});
