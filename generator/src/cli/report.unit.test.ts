import { describe, expect, it } from 'vitest';
import type { FileChange } from '../write/write-files.js';
import type { CliIo } from './io.js';
import { printWriteReport } from './report.js';

function summary(kinds: readonly FileChange['kind'][], unchanged: number): string {
  let out = '';
  const io: CliIo = { cwd: '/p', out: (t) => void (out += t), err: () => undefined };
  const changes = kinds.map((kind, i): FileChange => ({ path: `f${i}.ts`, kind, before: '', after: '' }));
  printWriteReport(io, { changes, unchanged, warnings: [], errors: [] }, ['generated/todo'], 12);
  return out.split('\n')[0]!;
}

describe('the summary line of generate and docs', () => {
  it('says what happened to the files: created, updated or removed, each counted', () => {
    expect(summary(Array(20).fill('create'), 0)).toBe('eventsmith: generated/todo: 20 files created in 12 ms.');
    expect(summary(['create', 'create', 'create', 'update', 'update'], 7)).toBe(
      'eventsmith: generated/todo: 3 files created, 2 updated, 7 unchanged in 12 ms.',
    );
    expect(summary(['update'], 1)).toBe('eventsmith: generated/todo: 1 file updated, 1 unchanged in 12 ms.');
    expect(summary(['remove', 'update', 'remove'], 0)).toBe(
      'eventsmith: generated/todo: 1 file updated, 2 removed in 12 ms.',
    );
    expect(summary([], 4)).toBe('eventsmith: generated/todo: up to date (4 files) in 12 ms.');
  });
});
