import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

const DOMAIN = `domain: Lab
aggregates:
  Box:
    commands:
      open: { params: { name: string }, emits: Opened }
    events:
      Opened:
        fields:
          name: string
  Crate:
    commands:
      pack: { emits: Packed }
    events:
      Packed:
        fields: { items: integer }
`;

describe('eventsmith docs', () => {
  let dir: string;
  const yaml = () => join(dir, 'domain', 'lab.yaml');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-docs-'));
    await mkdir(join(dir, 'domain'));
    await writeFile(
      join(dir, 'eventsmith.config.yaml'),
      'domains:\n  - input: domain\n    output: gen/lab\n    userDir: src/lab\n',
    );
    await writeFile(yaml(), DOMAIN);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('writes docs/<domain>/ and then reports it up to date, touching nothing', async () => {
    const first = await runCli(dir, 'docs');
    expect(first).toMatchObject({ status: 0 });
    expect(first.out).toContain('created docs/lab/aggregates/box.md');
    for (const file of ['docs/lab/README.md', 'docs/lab/aggregates/crate.md', 'docs/lab/asyncapi.json'])
      await expect(stat(join(dir, file))).resolves.toBeDefined();
    const before = (await stat(join(dir, 'docs/lab/README.md'))).mtimeMs;
    expect(await runCli(dir, 'docs')).toMatchObject({
      status: 0,
      out: expect.stringContaining('up to date (4 files)'),
    });
    expect((await stat(join(dir, 'docs/lab/README.md'))).mtimeMs).toBe(before);
    expect(await runCli(dir, 'docs', '--check')).toMatchObject({
      status: 0,
      out: expect.stringContaining('docs are up to date (4 files checked)'),
    });
  });

  it('--check fails on drift: a changed YAML, a hand edit, a page no longer emitted; writes nothing', async () => {
    await writeFile(
      yaml(),
      DOMAIN.replace('          name: string\n', '          name: string\n          colour: string?\n'),
    );
    const changed = await runCli(dir, 'docs', '--check');
    expect(changed.status).toBe(1);
    expect(changed.out).toContain('+| colour | `string` | no |');
    expect(changed.err).toContain('would update docs/lab/aggregates/box.md');
    expect(changed.err).toContain('Run `eventsmith docs` and commit the result.');
    expect(await readFile(join(dir, 'docs/lab/aggregates/box.md'), 'utf8')).not.toContain('colour');
    const json = await runCli(dir, 'docs', '--check', '--format', 'json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      dirs: ['docs/lab'],
      changes: expect.arrayContaining([{ path: 'docs/lab/aggregates/box.md', kind: 'update' }]),
    });
    expect((await runCli(dir, 'docs')).status).toBe(0);
    expect(await readFile(join(dir, 'docs/lab/aggregates/box.md'), 'utf8')).toContain('| colour | `string` | no |');

    await writeFile(
      join(dir, 'docs/lab/README.md'),
      `${await readFile(join(dir, 'docs/lab/README.md'), 'utf8')}\nA hand-written note.\n`,
    );
    expect(await runCli(dir, 'docs', '--check')).toMatchObject({
      status: 1,
      err: expect.stringContaining('would update docs/lab/README.md'),
    });
    expect((await runCli(dir, 'docs')).status).toBe(0);

    await writeFile(yaml(), DOMAIN.slice(0, DOMAIN.indexOf('  Crate:')));
    expect(await runCli(dir, 'docs', '--check')).toMatchObject({
      status: 1,
      err: expect.stringContaining('would remove docs/lab/aggregates/crate.md'),
    });
    expect(await runCli(dir, 'docs')).toMatchObject({
      status: 0,
      out: expect.stringContaining('removed docs/lab/aggregates/crate.md'),
    });
    expect(await runCli(dir, 'docs', '--check')).toMatchObject({ status: 0 });
  });

  it('--out chooses the base folder; a folder generate owns or one outside the project is refused', async () => {
    expect(await runCli(dir, 'docs', '--out', 'site/catalog')).toMatchObject({
      status: 0,
      out: expect.stringContaining('created site/catalog/lab/README.md'),
    });
    // A bad --out is a usage error: exit status 2, as `eventsmith docs --help` says.
    expect(await runCli(dir, 'docs', '--out', 'gen')).toMatchObject({
      status: 2,
      err: expect.stringContaining('[CLI.DOCS_OUT]'),
    });
    expect(await runCli(dir, 'docs', '--out', '../elsewhere')).toMatchObject({
      status: 2,
      err: expect.stringContaining('not a folder inside the project'),
    });
  });

  it('invalid YAML is reported and nothing is written', async () => {
    await writeFile(yaml(), DOMAIN.replace('emits: Opened', 'emits: Opend'));
    const bad = await runCli(dir, 'docs', '--check');
    expect(bad.status).toBe(1);
    expect(bad.err).toContain('domain/lab.yaml:');
  });
});
