import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DomainError } from '@eventsmith/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { colorEnabled } from './io.js';
import { captureIo } from './test-support/run-cli.js';
import { plural, printErrors } from './report.js';

const ESC = '\u001b[';

const YAML = [
  'domain: Demo',
  'aggregates:',
  '  TodoList:',
  '    events:',
  '      ItemCompleted:',
  '        fields: { itemId: uuidd }',
  '',
].join('\n');

const error: DomainError = {
  code: 'TYPE.UNKNOWN',
  message: 'Unknown type "uuidd" in itemId. Did you mean "uuid"?',
  fix: 'Write "uuid", or declare "uuidd" under `types:`.',
  where: { file: 'domain/demo.yaml', line: 6, col: 27, path: 'aggregates.TodoList.events.ItemCompleted.fields.itemId' },
};

describe('colour', () => {
  it('follows FORCE_COLOR, NO_COLOR and whether the stream is a terminal', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: 'false' })).toBe(false);
  });
});

describe('YAML errors for people', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-frame-'));
    await writeFile(join(dir, 'demo.yaml'), YAML);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('show the offending line with a caret under the column, and no escape codes without colour', async () => {
    const t = captureIo(dir, false);
    printErrors(t.io, 'text', [{ ...error, where: { ...error.where, file: 'demo.yaml' } }], []);
    const text = t.err();
    expect(text).not.toContain(ESC);
    const lines = text.split('\n');
    expect(lines[0]).toBe('demo.yaml:6:27  Unknown type "uuidd" in itemId. Did you mean "uuid"?');
    const marked = lines.findIndex((l) => /^\s*> 6 \|/.test(l));
    expect(lines[marked]).toContain('fields: { itemId: uuidd }');
    expect(lines[marked - 1]).toMatch(/^\s+5 \|\s+ItemCompleted:/);
    // The caret sits under column 27 of the marked line.
    const source = lines[marked]!.indexOf('|') + 2;
    expect(lines[marked + 1]!.indexOf('^')).toBe(source + 26);
    expect(text).toContain('  fix: Write "uuid"');
    expect(text).toContain('1 error in domain YAML; nothing was written.');
  });

  it('are coloured when the stream takes colour', async () => {
    const t = captureIo(dir, true);
    printErrors(t.io, 'text', [{ ...error, where: { ...error.where, file: join(dir, 'demo.yaml') } }], []);
    expect(t.err()).toContain(ESC);
    expect(t.err().replace(/\u001b\[[0-9;]*m/g, '')).toContain('> 6 |');
  });

  it('still print without a frame when the file cannot be read', () => {
    const t = captureIo(dir, false);
    printErrors(t.io, 'text', [error], []);
    expect(t.err().split('\n').slice(0, 2)).toEqual([
      'domain/demo.yaml:6:27  Unknown type "uuidd" in itemId. Did you mean "uuid"?',
      '  at aggregates.TodoList.events.ItemCompleted.fields.itemId  [TYPE.UNKNOWN]',
    ]);
  });

  it('never quote a file that is not YAML (an event lock that is not one may hold anything)', async () => {
    await writeFile(join(dir, 'events.lock.json'), 'password: s3cret\n');
    const t = captureIo(dir, false);
    printErrors(
      t.io,
      'text',
      [],
      [
        {
          code: 'LOCK.INVALID',
          message: 'Not a lock.',
          fix: 'Regenerate it.',
          where: { file: 'events.lock.json', line: 1, col: 1, path: '' },
        },
      ],
    );
    expect(t.err()).toContain('events.lock.json:1:1  Not a lock.');
    expect(t.err()).not.toContain('s3cret');
  });

  it('never quote a link (it may lead outside the project) nor open a FIFO', async () => {
    await writeFile(join(dir, 'outside.txt'), 'token: s3cret\n');
    await symlink(join(dir, 'outside.txt'), join(dir, 'linked.yaml'));
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const t = captureIo(dir, false);
    const at = (file: string): DomainError => ({ ...error, where: { ...error.where, file, line: 1, col: 1 } });
    printErrors(t.io, 'text', [at('linked.yaml'), at('fifo.yaml')], []);
    expect(t.err()).toContain('linked.yaml:1:1  Unknown type');
    expect(t.err()).toContain('fifo.yaml:1:1  Unknown type');
    expect(t.err()).not.toContain('s3cret');
    expect(t.err()).not.toContain('> 1 |');
  });

  it('cut a very long line to a window around the column, the caret still under it', async () => {
    const name = `${'x'.repeat(3000)}BAD${'y'.repeat(3000)}`;
    await writeFile(join(dir, 'long.yaml'), `domain: Demo\ntypes: { ${name}: string }\nend: 1\n`);
    const t = captureIo(dir, false);
    const col = 'types: { '.length + 3000 + 1;
    printErrors(t.io, 'text', [{ ...error, where: { ...error.where, file: 'long.yaml', line: 2, col } }], []);
    const lines = t.err().split('\n');
    const marked = lines.find((l) => /^\s*> 2 \|/.test(l))!;
    expect(marked.length).toBeLessThan(160);
    const caret = lines[lines.indexOf(marked) + 1]!.indexOf('^');
    expect(marked.slice(caret, caret + 3)).toBe('BAD');
    expect(t.err().length).toBeLessThan(1200);
  });

  it('stay pure JSON with --format json, with no frame and no colour', () => {
    const t = captureIo(dir, true);
    printErrors(t.io, 'json', [{ ...error, where: { ...error.where, file: 'demo.yaml' } }], []);
    expect(JSON.parse(t.out())).toEqual({ errors: [{ ...error, where: { ...error.where, file: 'demo.yaml' } }] });
    expect(t.err()).toBe('');
  });
});

describe('counts', () => {
  it('agree with their nouns', () => {
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(1, 'file')).toBe('1 file');
    expect(plural(2, 'aggregate')).toBe('2 aggregates');
  });
});
