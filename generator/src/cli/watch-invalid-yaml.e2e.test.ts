import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { watchUntil } from './test-support/run-cli.js';

// `generate --watch` started on YAML that is already invalid: it reports the error and keeps
// watching, without claiming to have kept an output that was never written.
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'eventsmith-watch-invalid-'));
  await mkdir(join(root, 'domain'));
  await writeFile(join(root, 'domain', 'lab.yaml'), 'domain: Lab\naggregates:\n  Box:\n    state: { name: strin }\n');
  await writeFile(
    join(root, 'eventsmith.config.yaml'),
    'domains:\n  - input: domain\n    output: generated\n    userDir: src\n',
  );
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('generate --watch on invalid YAML from the start', () => {
  it('reports the error, writes nothing and says it is still watching', async () => {
    const out = await watchUntil(root, (printed) => printed.includes('still watching'));
    expect(out).toMatch(/lab\.yaml:4:\d+/);
    expect(out).toContain('nothing was written');
    expect(out).toContain('eventsmith: still watching; fix the error and save.');
    expect(out).not.toContain('last good output');
    expect(await readdir(root)).not.toContain('generated');
  }, 90_000);
});
