import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

// The event lock records every version generated; only what is committed is published.
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
const WITH_NOTE = DOMAIN.replace(
  '          openedAt: datetime\n',
  '          openedAt: datetime\n          note: string?\n',
);
const LOCK = 'gen/lab/events.lock.json';

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', '-c', 'commit.gpgsign=false', ...args],
    { cwd, encoding: 'utf8' },
  );
}

async function project(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(dir, 'domain'));
  await writeFile(
    join(dir, 'eventsmith.config.yaml'),
    'domains:\n  - input: domain\n    output: gen/lab\n    userDir: src/lab\n',
  );
  await writeFile(join(dir, 'domain', 'lab.yaml'), DOMAIN);
  return dir;
}

async function lockedFields(dir: string): Promise<Record<string, unknown>> {
  const lock = JSON.parse(await readFile(join(dir, LOCK), 'utf8')) as {
    events: { Opened: { versions: Record<string, { fields: Record<string, unknown> }> } };
  };
  return lock.events.Opened.versions['1']!.fields;
}

describe('event lock drafts: a project in git with the lock committed', () => {
  let dir: string;
  let committed: string;
  const yaml = () => join(dir, 'domain', 'lab.yaml');

  beforeAll(async () => {
    dir = await project('eventsmith-drafts-');
    git(dir, 'init', '-q', '-b', 'main');
    expect((await runCli(dir, 'generate')).status).toBe(0);
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'generated, with the event lock');
    committed = await readFile(join(dir, LOCK), 'utf8');
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('lets a field added since the last commit be removed again: the lock goes back to the committed shape', async () => {
    await writeFile(yaml(), WITH_NOTE);
    expect((await runCli(dir, 'generate')).status).toBe(0);
    expect(await lockedFields(dir)).toHaveProperty('note', { type: 'string', optional: true });

    await writeFile(yaml(), DOMAIN);
    expect((await runCli(dir, 'validate')).status).toBe(0);
    expect((await runCli(dir, 'generate', '--check')).status).toBe(1); // the lock on disk still has the draft
    const generate = await runCli(dir, 'generate');
    expect(generate.err).not.toContain('EVENT.BREAKING_CHANGE');
    expect(generate.status).toBe(0);
    expect(await readFile(join(dir, LOCK), 'utf8')).toBe(committed);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect((await runCli(dir, 'generate', '--check')).status).toBe(0);
    expect((await runCli(dir, 'check', '--against', 'HEAD')).status).toBe(0);
  }, 120_000);

  it("lets a draft field's type change, and records the new shape", async () => {
    await writeFile(yaml(), WITH_NOTE);
    expect((await runCli(dir, 'generate')).status).toBe(0);
    await writeFile(yaml(), WITH_NOTE.replace('note: string?', 'note: integer?'));
    expect((await runCli(dir, 'generate')).status).toBe(0);
    expect(await lockedFields(dir)).toHaveProperty('note', { type: 'integer', optional: true });
    await writeFile(yaml(), DOMAIN);
    expect((await runCli(dir, 'generate')).status).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  }, 120_000);

  it('still refuses a breaking change to the committed shape, at the YAML line, and writes nothing', async () => {
    await writeFile(yaml(), WITH_NOTE);
    expect((await runCli(dir, 'generate')).status).toBe(0);
    const draft = await readFile(join(dir, LOCK), 'utf8');
    await writeFile(yaml(), DOMAIN.replace('openedAt: datetime', 'openedAt: date'));
    for (const args of [['generate'], ['generate', '--check'], ['validate']]) {
      const refused = await runCli(dir, ...args);
      expect(refused.status).toBe(1);
      expect(refused.err).toContain('[EVENT.BREAKING_CHANGE]');
      expect(refused.err).toContain(
        `domain/lab.yaml:10:11  Opened v1 is published (recorded in HEAD:${LOCK}), but field "openedAt" changed type from datetime to date`,
      );
      // Only the committed change is reported, and nobody is told to edit the lock.
      expect(refused.err).not.toContain('"note"');
      expect(refused.err).not.toContain('delete');
    }
    expect(await readFile(join(dir, LOCK), 'utf8')).toBe(draft);
    await writeFile(yaml(), DOMAIN);
    expect((await runCli(dir, 'generate')).status).toBe(0);
  }, 120_000);

  it('keeps the committed lock binding when the lock file was deleted (say, to settle a merge conflict)', async () => {
    await rm(join(dir, LOCK));
    await writeFile(yaml(), DOMAIN.replace('openedAt: datetime', 'openedAt: date'));
    for (const args of [['generate'], ['validate']]) {
      const refused = await runCli(dir, ...args);
      expect(refused.status).toBe(1);
      expect(refused.err).toContain(
        `domain/lab.yaml:10:11  Opened v1 is published (recorded in HEAD:${LOCK}), but field "openedAt" changed type from datetime to date`,
      );
    }
    await expect(readFile(join(dir, LOCK), 'utf8')).rejects.toThrow(); // nothing was written
    // A compatible change is accepted, and the lock is written again.
    await writeFile(yaml(), DOMAIN);
    expect((await runCli(dir, 'generate')).status).toBe(0);
    expect(await readFile(join(dir, LOCK), 'utf8')).toBe(committed);
  }, 120_000);
});

describe('event lock drafts: no committed lock', () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  for (const where of ['outside git', 'in git, the lock never committed'] as const) {
    it(`${where}: every recorded version is binding, and the fix says how to start the lock afresh`, async () => {
      const dir = await project('eventsmith-drafts-nogit-');
      dirs.push(dir);
      if (where !== 'outside git') git(dir, 'init', '-q', '-b', 'main');
      const yaml = join(dir, 'domain', 'lab.yaml');
      expect((await runCli(dir, 'generate')).status).toBe(0);
      await writeFile(yaml, WITH_NOTE);
      expect((await runCli(dir, 'generate')).status).toBe(0);
      await writeFile(yaml, DOMAIN);

      const refused = await runCli(dir, 'generate');
      expect(refused.status).toBe(1);
      expect(refused.err).toContain(
        `domain/lab.yaml:7:7  Opened v1 is published (recorded in ${LOCK}), but field "note" was removed`,
      );
      expect(refused.err).toContain('[EVENT.BREAKING_CHANGE]');
      expect(refused.err).toContain(
        'has left this machine (nothing committed or deployed), delete that file and run again',
      );
      expect(refused.err).toContain('commit the lock');
      expect(refused.err).not.toContain('delete "Opened" from');

      // Following the fix: the lock is written anew from the YAML.
      await rm(join(dir, LOCK));
      expect((await runCli(dir, 'generate')).status).toBe(0);
      expect(await lockedFields(dir)).not.toHaveProperty('note');
    }, 120_000);
  }
});
