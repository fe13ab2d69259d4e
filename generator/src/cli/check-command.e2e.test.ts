import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

// A project in a git repository, as in CI: generate and commit, then edit published events.
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

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', '-c', 'commit.gpgsign=false', ...args],
    { cwd, encoding: 'utf8' },
  );
}

describe('eventsmith check --against (a git repository)', () => {
  let dir: string;
  const yaml = () => join(dir, 'domain', 'lab.yaml');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-check-'));
    await mkdir(join(dir, 'domain'));
    await writeFile(
      join(dir, 'eventsmith.config.yaml'),
      'domains:\n  - input: domain\n    output: gen/lab\n    userDir: src/lab\n',
    );
    await writeFile(yaml(), DOMAIN);
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'domain without generated code');
    expect((await runCli(dir, 'generate')).status).toBe(0);
    expect(
      JSON.parse(await readFile(join(dir, 'gen/lab/events.lock.json'), 'utf8')).events.Opened.versions['1'].fields
        .openedAt,
    ).toEqual({ type: 'datetime' });
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'generated, with the event lock');
  }, 120_000);
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('passes when nothing changed, and for a compatible change', async () => {
    expect(await runCli(dir, 'check', '--against', 'HEAD')).toMatchObject({
      status: 0,
      out: expect.stringContaining('no breaking changes against HEAD'),
    });
    await writeFile(
      yaml(),
      DOMAIN.replace('          openedAt: datetime\n', '          openedAt: datetime\n          note: string?\n'),
    );
    expect((await runCli(dir, 'check', '--against', 'HEAD')).status).toBe(0);
    // generate --check fails while the lock does not record the new field yet.
    const stale = await runCli(dir, 'generate', '--check');
    expect(stale.status).toBe(1);
    expect(stale.err).toContain('would update gen/lab/events.lock.json');
    await writeFile(yaml(), DOMAIN);
  }, 120_000);

  it('lists an in-place change of a published version with its file:line:col, and exits 1', async () => {
    await writeFile(
      yaml(),
      DOMAIN.replace('openedAt: datetime', 'openedAt: date').replace('          name: string\n', ''),
    );
    const text = await runCli(dir, 'check', '--against', 'HEAD');
    expect(text.status).toBe(1);
    expect(text.out).toContain(
      'domain/lab.yaml:9:11  Opened v1 is published (recorded in HEAD:gen/lab/events.lock.json), but field "openedAt" changed type from datetime to date',
    );
    expect(text.out).toContain(
      'domain/lab.yaml:7:7  Opened v1 is published (recorded in HEAD:gen/lab/events.lock.json), but field "name" was removed',
    );
    expect(text.out).toContain('[EVENT.BREAKING_CHANGE]');
    expect(text.out).toContain('bump the version to 2');
    expect(text.out).toContain('2 breaking changes against HEAD.');

    const json = await runCli(dir, 'check', '--against', 'HEAD', '--format', 'json');
    expect(json.status).toBe(1);
    const report = JSON.parse(json.out) as {
      against: string;
      errors: { code: string; where: { file: string; line: number; col: number } }[];
    };
    expect(report.against).toBe('HEAD');
    expect(report.errors.map((e) => [e.code, e.where.file, e.where.line, e.where.col])).toEqual([
      ['EVENT.BREAKING_CHANGE', 'domain/lab.yaml', 7, 7],
      ['EVENT.BREAKING_CHANGE', 'domain/lab.yaml', 9, 11],
    ]);

    // generate refuses the same edit against the lock on disk, and writes nothing.
    const generate = await runCli(dir, 'generate');
    expect(generate.status).toBe(1);
    expect(generate.err).toContain('EVENT.BREAKING_CHANGE');
    expect(git(dir, 'status', '--porcelain', 'gen')).toBe('');

    // validate reports it too.
    const validate = await runCli(dir, 'validate', '--format', 'json');
    expect(validate.status).toBe(1);
    expect((JSON.parse(validate.out) as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual([
      'EVENT.BREAKING_CHANGE',
      'EVENT.BREAKING_CHANGE',
    ]);

    // The same lock, passed as a file.
    const file = await runCli(dir, 'check', '--against', 'gen/lab/events.lock.json');
    expect(file.status).toBe(1);
    expect(file.out).toContain('recorded in gen/lab/events.lock.json');
    await writeFile(yaml(), DOMAIN);
  }, 120_000);

  it('accepts the declared change: a new version with the recorded one in history', async () => {
    await writeFile(
      yaml(),
      DOMAIN.replace(
        '      Opened:\n        fields:\n          name: string\n          openedAt: datetime\n',
        '      Opened:\n        version: 2\n        fields:\n          name: string\n          openedOn: date\n        history:\n          1:\n            fields: { name: string, openedAt: datetime }\n            upcast:\n              - renameField: { from: openedAt, to: openedOn }\n              - convert: { field: openedOn, using: datetimeToDate }\n',
      ),
    );
    expect(await runCli(dir, 'check', '--against', 'HEAD')).toMatchObject({ status: 0 });
    await writeFile(yaml(), DOMAIN);
  }, 120_000);

  it('refuses a lock on disk that is not one, without quoting it', async () => {
    const path = join(dir, 'gen/lab/events.lock.json');
    const saved = await readFile(path, 'utf8');
    try {
      await writeFile(path, '{ "token": "s3cret"');
      const generate = await runCli(dir, 'generate');
      expect(generate.status).toBe(1);
      expect(generate.err).toContain('gen/lab/events.lock.json: not JSON.');
      expect(generate.err).toContain('LOCK.INVALID');
      expect(generate.err).not.toContain('s3cret');
      const check = await runCli(dir, 'check', '--against', 'gen/lab/events.lock.json');
      expect(check.status).toBe(1);
      expect(check.err).toContain('CHECK.INVALID_LOCK');
    } finally {
      await writeFile(path, saved);
    }
  }, 120_000);

  it('notes a domain added since the ref (nothing published there) and still compares the others', async () => {
    const config = join(dir, 'eventsmith.config.yaml');
    const saved = await readFile(config, 'utf8');
    try {
      await mkdir(join(dir, 'domain2'), { recursive: true });
      await writeFile(join(dir, 'domain2', 'two.yaml'), DOMAIN.replace('domain: Lab', 'domain: Two'));
      await writeFile(config, `${saved}  - input: domain2\n    output: gen/two\n    userDir: src/two\n`);
      await writeFile(yaml(), DOMAIN.replace('openedAt: datetime', 'openedAt: date'));
      const result = await runCli(dir, 'check', '--against', 'HEAD');
      expect(result.err).toContain(
        'note: HEAD has no gen/two/events.lock.json: a new domain, nothing published there yet.',
      );
      expect(result.out).toContain('1 breaking change against HEAD.');
      expect(result.status).toBe(1);
    } finally {
      await writeFile(config, saved);
      await writeFile(yaml(), DOMAIN);
      await rm(join(dir, 'domain2'), { recursive: true, force: true });
    }
  }, 120_000);

  it('says clearly when the ref is unknown, has no lock, or there is no repository', async () => {
    const unknown = await runCli(dir, 'check', '--against', 'no-such-branch', '--format', 'json');
    expect(unknown.status).toBe(1);
    expect(JSON.parse(unknown.out).errors[0].code).toBe('CHECK.UNKNOWN_REF');

    const noLock = await runCli(dir, 'check', '--against', 'HEAD~1');
    expect(noLock.status).toBe(1);
    expect(noLock.err).toContain('HEAD~1 has no gen/lab/events.lock.json');
    expect(noLock.err).toContain('CHECK.NO_LOCK');

    const missing = await runCli(dir, 'check');
    expect(missing.status).toBe(2);
    expect(missing.err).toContain('needs --against');

    const path = process.env['PATH'];
    try {
      process.env['PATH'] = join(dir, 'no-such-bin');
      const noGit = await runCli(dir, 'check', '--against', 'HEAD');
      expect(noGit.status).toBe(1);
      expect(noGit.err).toContain('CHECK.NO_GIT');
      expect(noGit.err).toContain('git is not installed');
    } finally {
      process.env['PATH'] = path;
    }

    const outside = await mkdtemp(join(tmpdir(), 'eventsmith-check-norepo-'));
    try {
      await mkdir(join(outside, 'domain'));
      await writeFile(
        join(outside, 'eventsmith.config.yaml'),
        'domains:\n  - input: domain\n    output: gen/lab\n    userDir: src/lab\n',
      );
      await writeFile(join(outside, 'domain', 'lab.yaml'), DOMAIN);
      const norepo = await runCli(outside, 'check', '--against', 'main');
      expect(norepo.status).toBe(1);
      expect(norepo.err).toContain('CHECK.NOT_A_REPOSITORY');
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  }, 120_000);
});
