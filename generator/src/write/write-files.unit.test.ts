import { execFileSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GENERATED_MARKER } from '../emit/index.js';
import { readExisting, writeFiles, type PreparedFile } from './write-files.js';

const gen = (path: string, body: string): PreparedFile => ({
  path,
  ownership: 'generated',
  content: `${GENERATED_MARKER} from x.yaml.\n${body}\n`,
});

describe('writeFiles', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'eventsmith-write-'));
  });
  afterEach(async () => rm(root, { recursive: true, force: true }));
  const opts = () => ({ root, ownedDirs: ['out'] });

  it('writes new files atomically and leaves no temporary files behind', async () => {
    const report = await writeFiles([gen('out/a.ts', 'a'), gen('out/deep/b.ts', 'b')], opts());
    expect(report.changes.map((c) => [c.kind, c.path])).toEqual([
      ['create', 'out/a.ts'],
      ['create', 'out/deep/b.ts'],
    ]);
    expect(await readFile(join(root, 'out/deep/b.ts'), 'utf8')).toContain('\nb\n');
    expect((await readdir(join(root, 'out'))).sort()).toEqual(['a.ts', 'deep']);
  });

  it('does not rewrite a file whose content is unchanged', async () => {
    await writeFiles([gen('out/a.ts', 'a')], opts());
    const before = await stat(join(root, 'out/a.ts'));
    await new Promise((r) => setTimeout(r, 20));
    const report = await writeFiles([gen('out/a.ts', 'a')], opts());
    const after = await stat(join(root, 'out/a.ts'));
    expect(report.changes).toEqual([]);
    expect(report.unchanged).toBe(1);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('writes and removes nothing when a user-owned file it must add to does not parse', async () => {
    await writeFiles([gen('out/old.ts', 'old'), gen('out/a.ts', 'a')], opts());
    await mkdir(join(root, 'src'), { recursive: true });
    const broken = 'export class U extends Base {{ oops\n}\n';
    await writeFile(join(root, 'src/u.ts'), broken);
    const user: PreparedFile = {
      path: 'src/u.ts',
      ownership: 'user',
      content: 'template\n',
      merge: {
        container: { kind: 'class', name: 'U' },
        members: [{ name: 'onX', handles: 'X', text: '@handles(X)\nonX() {}' }],
        owner: 'U',
        imports: [],
      },
    };
    // A changed file, a new one and a removed one (out/old.ts is no longer emitted): none happens.
    const report = await writeFiles([gen('out/a.ts', 'a2'), gen('out/b.ts', 'b'), user], opts());
    expect(report.errors).toMatchObject([{ code: 'USER_FILE.SYNTAX', where: { file: 'src/u.ts', line: 1, col: 30 } }]);
    expect(report.changes).toEqual([]);
    expect(await readFile(join(root, 'src/u.ts'), 'utf8')).toBe(broken);
    expect((await readdir(join(root, 'out'))).sort()).toEqual(['a.ts', 'old.ts']);
    expect(await readFile(join(root, 'out/a.ts'), 'utf8')).toContain('\na\n');
  });

  it('compares each file with the disk when it writes: a user-owned file saved meanwhile is kept', async () => {
    await writeFiles([gen('out/a.ts', 'a')], opts());
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(root, 'src/u.ts'), 'saved by the user\n');
    const user: PreparedFile = { path: 'src/u.ts', ownership: 'user', content: 'template\n' };
    const report = await writeFiles([gen('out/a.ts', 'a'), gen('out/b.ts', 'b'), user], opts());
    expect(report.changes.map((c) => [c.kind, c.path])).toEqual([['create', 'out/b.ts']]);
    expect(report.unchanged).toBe(2);
    expect(await readFile(join(root, 'src/u.ts'), 'utf8')).toBe('saved by the user\n');
  });

  it('replaces a changed file by rename (a new inode), never in place', async () => {
    await writeFiles([gen('out/a.ts', 'a')], opts());
    const before = await stat(join(root, 'out/a.ts'));
    const report = await writeFiles([gen('out/a.ts', 'a2')], opts());
    expect(report.changes[0]).toMatchObject({ kind: 'update', path: 'out/a.ts' });
    expect((await stat(join(root, 'out/a.ts'))).ino).not.toBe(before.ino);
  });

  it('creates a user-owned file once and never overwrites it', async () => {
    const user: PreparedFile = { path: 'src/a.ts', ownership: 'user', content: 'template\n' };
    await writeFiles([user], opts());
    await writeFile(join(root, 'src/a.ts'), 'mine\n');
    const report = await writeFiles([{ ...user, content: 'new template\n' }], opts());
    expect(report.changes).toEqual([]);
    expect(await readFile(join(root, 'src/a.ts'), 'utf8')).toBe('mine\n');
  });

  it('writes a once file when missing and never changes it; warns when it was edited', async () => {
    const once: PreparedFile = { path: 'out/m/0001_x.ts', ownership: 'once', content: 'v1\n' };
    await writeFiles([once], opts());
    await writeFile(join(root, 'out/m/0001_x.ts'), 'edited\n');
    const report = await writeFiles([once], opts());
    expect(await readFile(join(root, 'out/m/0001_x.ts'), 'utf8')).toBe('edited\n');
    expect(report.warnings[0]).toContain('must never change');
  });

  it("reports a once file's notice when it creates the file (and with dryRun), never again", async () => {
    const once: PreparedFile = { path: 'out/m/0002_x.ts', ownership: 'once', content: 'v1\n', notice: 'rebuild X.' };
    expect((await writeFiles([once], { ...opts(), dryRun: true })).warnings).toEqual(['out/m/0002_x.ts: rebuild X.']);
    expect((await writeFiles([once], opts())).warnings).toEqual(['out/m/0002_x.ts: rebuild X.']);
    expect((await writeFiles([once], opts())).warnings).toEqual([]);
  });

  it('removes generated files no longer emitted, but never files it did not write', async () => {
    await writeFiles([gen('out/a.ts', 'a'), gen('out/old/b.ts', 'b')], opts());
    await writeFile(join(root, 'out/notes.md'), 'my notes\n');
    const report = await writeFiles([gen('out/a.ts', 'a')], opts());
    expect(report.changes.map((c) => [c.kind, c.path])).toEqual([['remove', 'out/old/b.ts']]);
    expect(await readdir(join(root, 'out'))).toEqual(expect.arrayContaining(['a.ts', 'notes.md']));
    expect(await readdir(join(root, 'out'))).not.toContain('old');
  });

  it('in a dry run reports every change and writes nothing', async () => {
    await mkdir(join(root, 'out'), { recursive: true });
    await writeFile(join(root, 'out/stale.ts'), `${GENERATED_MARKER} from x.yaml.\nstale\n`);
    const report = await writeFiles([gen('out/a.ts', 'a')], { ...opts(), dryRun: true });
    expect(report.changes.map((c) => c.kind)).toEqual(['create', 'remove']);
    expect(await readdir(join(root, 'out'))).toEqual(['stale.ts']);
  });

  it('warns when a file a snapshot lists (keep) is missing', async () => {
    const report = await writeFiles([{ path: 'out/m/0001_x.ts', ownership: 'keep', content: '' }], opts());
    expect(report.warnings[0]).toContain('missing');
  });
});

describe('writeFiles with links and special files among the outputs', () => {
  let root: string;
  let outside: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'eventsmith-write-'));
    outside = await mkdtemp(join(tmpdir(), 'eventsmith-outside-'));
    await mkdir(join(root, 'out'), { recursive: true });
    await mkdir(join(root, 'src'), { recursive: true });
    await writeFile(join(outside, 'shadow'), 'root:$6$Zq7Hunter2Hash:19000:0:99999:7:::\n');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  // A pull request can add `generated/x/index.ts -> /etc/shadow`; `generate --check` printed the target as the old side of its diff.
  it('never reads a generated file that links out of the project, and replaces the link by a file', async () => {
    await symlink(join(outside, 'shadow'), join(root, 'out/a.ts'));
    const check = await writeFiles([gen('out/a.ts', 'a')], {
      root,
      ownedDirs: ['out'],
      dryRun: true,
    });
    expect(check.changes).toMatchObject([{ kind: 'update', path: 'out/a.ts' }]);
    expect(JSON.stringify(check)).not.toContain('Zq7Hunter2');
    const write = await writeFiles([gen('out/a.ts', 'a')], { root, ownedDirs: ['out'] });
    expect(JSON.stringify(write)).not.toContain('Zq7Hunter2');
    expect((await lstat(join(root, 'out/a.ts'))).isSymbolicLink()).toBe(false);
    expect(await readFile(join(outside, 'shadow'), 'utf8')).toContain('Zq7Hunter2');
  });

  it('leaves a user-owned file that links out of the project alone, with a warning', async () => {
    await symlink(join(outside, 'shadow'), join(root, 'src/u.ts'));
    const user: PreparedFile = {
      path: 'src/u.ts',
      ownership: 'user',
      content: 'template\n',
      merge: { container: { kind: 'none' }, members: [], owner: 'U', imports: [] },
    };
    const report = await writeFiles([user], { root, ownedDirs: ['out'] });
    expect(report.changes).toEqual([]);
    expect(report.warnings).toEqual([
      'src/u.ts is a symbolic link to a file outside the project; it was not read and was left as it is.',
    ]);
    expect((await lstat(join(root, 'src/u.ts'))).isSymbolicLink()).toBe(true);
  });

  it('follows a link that stays inside the project', async () => {
    await writeFile(join(root, 'src/real.ts'), 'saved by the user\n');
    await symlink(join(root, 'src/real.ts'), join(root, 'src/u.ts'));
    const user: PreparedFile = { path: 'src/u.ts', ownership: 'user', content: 'template\n' };
    expect((await writeFiles([user], { root, ownedDirs: ['out'] })).changes).toEqual([]);
    expect(await readExisting(root, ['src/u.ts'])).toEqual(new Map([['src/u.ts', 'saved by the user\n']]));
  });

  it.skipIf(process.platform === 'win32')(
    'does not block on a FIFO where a generated file belongs',
    async () => {
      execFileSync('mkfifo', [join(root, 'out/a.ts')]);
      const check = await writeFiles([gen('out/a.ts', 'a')], { root, ownedDirs: ['out'], dryRun: true });
      expect(check.changes).toMatchObject([
        { kind: 'update', path: 'out/a.ts', before: '(not a regular file: not read)\n' },
      ]);
    },
    20_000,
  );
});
