import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDomainFromFiles, readDomainFileSync } from './index.js';

describe('reading domain files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-read-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('reads a regular file, and one through a link', async () => {
    await writeFile(join(dir, 'shop.yaml'), 'domain: Shop\n');
    await symlink(join(dir, 'shop.yaml'), join(dir, 'linked.yaml'));
    expect(readDomainFileSync(join(dir, 'shop.yaml'))).toEqual({ ok: true, value: 'domain: Shop\n' });
    expect(readDomainFileSync(join(dir, 'linked.yaml'))).toEqual({ ok: true, value: 'domain: Shop\n' });
  });

  // Opening a FIFO for reading waits for a writer: `validate` hung for good on `fifo.yaml`.
  it.skipIf(process.platform === 'win32')(
    'refuses a FIFO without waiting for a writer',
    async () => {
      const fifo = join(dir, 'fifo.yaml');
      execFileSync('mkfifo', [fifo]);
      expect(readDomainFileSync(fifo, { displayPath: 'domain/fifo.yaml' })).toMatchObject({
        ok: false,
        errors: {
          code: 'FILE.NOT_REGULAR',
          where: { file: 'domain/fifo.yaml', line: 1, col: 1 },
          message: expect.stringContaining('FIFO'),
        },
      });
      await writeFile(join(dir, 'shop.yaml'), 'domain: Shop\n');
      const result = await loadDomainFromFiles([join(dir, 'shop.yaml'), fifo]);
      expect(result).toMatchObject({ ok: false, errors: [{ code: 'FILE.NOT_REGULAR', where: { file: fifo } }] });
    },
    20_000,
  );

  it('refuses a folder named like a YAML file', async () => {
    await mkdir(join(dir, 'folder.yaml'));
    const read = readDomainFileSync(join(dir, 'folder.yaml'));
    expect(read).toMatchObject({
      ok: false,
      errors: { code: 'FILE.NOT_REGULAR', message: expect.stringContaining('folder') },
    });
  });

  it('says that a dangling link is one, and that a missing file is missing', async () => {
    await symlink(join(dir, 'gone.yaml'), join(dir, 'dangling.yaml'));
    const dangling = await loadDomainFromFiles([join(dir, 'dangling.yaml')]);
    expect(dangling).toMatchObject({
      ok: false,
      errors: [{ code: 'FILE.READ', message: expect.stringContaining('symbolic link') }],
    });
    const missing = readDomainFileSync(join(dir, 'nope.yaml'));
    expect(missing).toMatchObject({ ok: false, errors: { code: 'FILE.READ', message: 'The file does not exist.' } });
  });

  it('refuses a file far over the size limit before reading it', async () => {
    await writeFile(join(dir, 'big.yaml'), `domain: Big\ndescription: "${'x'.repeat(4000)}"\n`);
    expect(readDomainFileSync(join(dir, 'big.yaml'), { maxFileSize: 1000 })).toMatchObject({
      ok: false,
      errors: { code: 'YAML.TOO_LARGE' },
    });
  });
});
