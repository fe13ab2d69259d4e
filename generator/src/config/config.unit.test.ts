import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, resolveInputs } from './config.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(config: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eventsmith-config-'));
  dirs.push(dir);
  await mkdir(join(dir, 'domain'));
  await writeFile(join(dir, 'domain', 'd.yaml'), 'domain: Shop\n');
  await writeFile(join(dir, 'eventsmith.config.yaml'), config);
  return join(dir, 'eventsmith.config.yaml');
}

describe('an input that does not exist', () => {
  it('is reported at its `input:` value in the config', async () => {
    const file = await project('domains:\n  - input: domian\n    output: out\n    userDir: user\n');
    const config = await loadConfig(file);
    if (Array.isArray(config)) throw new Error(JSON.stringify(config));
    const { errors } = await resolveInputs(config.root, config.domains[0]!);
    expect(errors).toEqual([
      {
        code: 'CONFIG.INPUT_MISSING',
        message: 'Input domian does not exist.',
        fix: 'Fix the `input` path in the config (it is relative to the config file).',
        where: { file: relative(process.cwd(), file), line: 2, col: 12, path: 'domains[0].input' },
      },
    ]);
  });

  it('in a list of inputs is reported at that list item', async () => {
    const file = await project(
      'domains:\n  - input:\n      - domain\n      - extra\n    output: out\n    userDir: user\n',
    );
    const config = await loadConfig(file);
    if (Array.isArray(config)) throw new Error(JSON.stringify(config));
    const { errors } = await resolveInputs(config.root, config.domains[0]!);
    expect(errors).toMatchObject([
      {
        code: 'CONFIG.INPUT_MISSING',
        where: { file: relative(process.cwd(), file), line: 4, col: 9, path: 'domains[0].input[1]' },
      },
    ]);
  });
});
