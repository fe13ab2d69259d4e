import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

// A domain with one unused type (Unit), one column no handler sets (site) and one event no
// projection reads (Discarded).
const DOMAIN = `domain: Lab
types:
  Unit: { enum: [mg, ml] }
aggregates:
  Sample:
    state:
      label: string
    commands:
      register:
        params: { label: string }
        emits: Registered
      discard:
        params: { reason: string }
        emits: Discarded
    events:
      Registered:
        fields: { label: string }
      Discarded:
        fields: { reason: string }
projections:
  Samples:
    columns:
      sample_id: string
      label: string
      site: string?
    primaryKey: sample_id
    on:
      Registered:
        insert: { sample_id: meta.aggregateId, label: data.label }
`;

const CLEAN = DOMAIN.replace('types:\n  Unit: { enum: [mg, ml] }\n', '')
  .replace('      site: string?\n', '')
  .concat('      Discarded:\n        delete: { where: { sample_id: meta.aggregateId } }\n');

/** 1-based line and column of the first `needle` in `text`. */
function at(text: string, needle: string): { line: number; col: number } {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

interface Item {
  severity: string;
  code: string;
  message: string;
  fix: string;
  where: { file: string; line: number; col: number; path: string };
  related?: { file: string; line: number; col: number; path: string }[];
}

describe('flow warnings in the CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-flow-'));
    await writeFile(
      join(dir, 'eventsmith.config.yaml'),
      'domains:\n  - input: domain\n    output: gen/lab\n    userDir: src/lab\n',
    );
    await mkdir(join(dir, 'domain'));
    await writeFile(join(dir, 'domain/lab.yaml'), DOMAIN);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  const run = (...argv: string[]) => runCli(dir, ...argv);

  it('validate prints each warning and the note at file:line:col and still passes, with counts in the summary', async () => {
    const { status, out, err: printed } = await run('validate');
    expect(status).toBe(0);
    // Each warning shows its YAML line with a caret under the column (a code frame); the rest of
    // the block is compared without it.
    expect(printed).toMatch(/^ {2}> +\d+ \| {3}Unit: \{ enum: \[mg, ml\] \}\n +\| {3}\^$/m);
    const err = printed
      .split('\n')
      .filter((line) => !/^ {2}(>| ) *\d* \|/.test(line))
      .join('\n');
    const unit = at(DOMAIN, 'Unit');
    const site = at(DOMAIN, 'site');
    const domain = at(DOMAIN, 'Lab');
    const discarded = at(DOMAIN, 'Discarded:');
    expect(err).toContain(
      `domain/lab.yaml:${unit.line}:${unit.col}  warning: Enum "Unit" is declared, but nothing uses it.\n  at types.Unit  [FLOW.UNUSED_TYPE]\n  fix: `,
    );
    expect(err).toContain(
      `domain/lab.yaml:${site.line}:${site.col}  warning: Column "site" of projection Samples is set by no handler and has no default, so it is always NULL.\n  at projections.Samples.columns.site  [FLOW.COLUMN_NEVER_SET]`,
    );
    expect(err).toContain(
      `domain/lab.yaml:${domain.line}:${domain.col}  info: 1 event is read by no projection or reaction of domain Lab: Discarded.\n  at domain  [FLOW.EVENT_UNREAD]`,
    );
    expect(err).toContain(
      `  see: domain/lab.yaml:${discarded.line}:${discarded.col} (aggregates.Sample.events.Discarded)`,
    );
    expect(out).toBe('eventsmith: Lab (1 aggregate, 2 events, 1 projection): valid (2 warnings, 1 note).\n');
  });

  it('validate --strict refuses the warnings with status 1', async () => {
    const { status, out, err } = await run('validate', '--strict');
    expect(status).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('[FLOW.UNUSED_TYPE]');
    expect(err).toContain('[FLOW.EVENT_UNREAD]');
    expect(err).toMatch(/eventsmith: 2 warnings in domain YAML; --strict refuses them\.\n$/);
  });

  it('validate --strict passes a domain with only information, and one with nothing to report', async () => {
    await writeFile(
      join(dir, 'domain/lab.yaml'),
      CLEAN.replace('      Discarded:\n        delete: { where: { sample_id: meta.aggregateId } }\n', ''),
    );
    const noted = await run('validate', '--strict');
    expect(noted.status).toBe(0);
    expect(noted.out).toContain('valid (1 note).');
    await writeFile(join(dir, 'domain/lab.yaml'), CLEAN);
    const clean = await run('validate', '--strict');
    expect({ status: clean.status, out: clean.out, err: clean.err }).toEqual({
      status: 0,
      out: 'eventsmith: Lab (1 aggregate, 2 events, 1 projection): valid.\n',
      err: '',
    });
  });

  it('validate --format json prints pure JSON with the errors, warnings and information, with or without --strict', async () => {
    for (const [argv, expected] of [
      [['validate', '--format', 'json'], 0],
      [['validate', '--strict', '--format', 'json'], 1],
    ] as const) {
      const { status, out, err } = await run(...argv);
      expect(status).toBe(expected);
      expect(err).toBe('');
      const parsed = JSON.parse(out) as { errors: unknown[]; warnings: Item[]; info: Item[] };
      expect(Object.keys(parsed)).toEqual(['errors', 'warnings', 'info']);
      expect(parsed.errors).toEqual([]);
      expect(
        parsed.warnings.map((w) => [w.severity, w.code, w.where.file, w.where.line, w.where.col, w.where.path]),
      ).toEqual([
        [
          'warning',
          'FLOW.UNUSED_TYPE',
          'domain/lab.yaml',
          at(DOMAIN, 'Unit').line,
          at(DOMAIN, 'Unit').col,
          'types.Unit',
        ],
        [
          'warning',
          'FLOW.COLUMN_NEVER_SET',
          'domain/lab.yaml',
          at(DOMAIN, 'site').line,
          at(DOMAIN, 'site').col,
          'projections.Samples.columns.site',
        ],
      ]);
      for (const w of parsed.warnings) expect(w.fix.length).toBeGreaterThan(10);
      expect(parsed.info.map((i) => [i.severity, i.code, i.related?.map((r) => [r.line, r.col, r.path])])).toEqual([
        [
          'info',
          'FLOW.EVENT_UNREAD',
          [[at(DOMAIN, 'Discarded:').line, at(DOMAIN, 'Discarded:').col, 'aggregates.Sample.events.Discarded']],
        ],
      ]);
    }
  });

  it('generate writes the code and prints the warnings (not the information) after its report', async () => {
    await writeFile(
      join(dir, 'domain/lab.yaml'),
      CLEAN.replace('types:\n', '')
        .replace('domain: Lab\n', 'domain: Lab\ntypes:\n  Unit: { enum: [mg, ml] }\n')
        .replace('      Discarded:\n        delete: { where: { sample_id: meta.aggregateId } }\n', ''),
    );
    const { status, out, err } = await run('generate');
    expect(status).toBe(0);
    expect(out).toContain('eventsmith: Lab: ');
    expect(await readdir(join(dir, 'gen/lab'))).toContain('index.ts');
    expect(err).toContain('warning: Enum "Unit" is declared, but nothing uses it.');
    expect(err).not.toContain('FLOW.EVENT_UNREAD');
    expect(err).toMatch(/eventsmith: 1 warning in domain YAML \(--strict refuses warnings\)\.\n$/);
  });

  it('generate --format json prints pure JSON with the flow checks and the files, then --check reports nothing to change', async () => {
    const first = await run('generate', '--format', 'json');
    expect(first.status).toBe(0);
    expect(first.err).toBe('');
    const written = JSON.parse(first.out) as {
      errors: unknown[];
      warnings: Item[];
      info: Item[];
      changes: { path: string; kind: string }[];
      unchanged: number;
      fileWarnings: string[];
    };
    expect(Object.keys(written)).toEqual(['errors', 'warnings', 'info', 'changes', 'unchanged', 'fileWarnings']);
    expect(written.warnings.map((w) => w.code)).toEqual(['FLOW.UNUSED_TYPE', 'FLOW.COLUMN_NEVER_SET']);
    expect(written.info.map((i) => i.code)).toEqual(['FLOW.EVENT_UNREAD']);
    expect(written.changes).toContainEqual({ path: 'gen/lab/index.ts', kind: 'create' });
    const check = await run('generate', '--check', '--format', 'json');
    expect(check.status).toBe(0);
    const checked = JSON.parse(check.out) as { changes: unknown[]; unchanged: number; warnings: Item[] };
    expect(checked.changes).toEqual([]);
    expect(checked.unchanged).toBe(written.changes.length);
    expect(checked.warnings).toHaveLength(2);
  });

  it('generate --strict refuses the warnings and writes nothing; --check --strict too', async () => {
    const strict = await run('generate', '--strict');
    expect(strict.status).toBe(1);
    expect(strict.err).toContain('[FLOW.COLUMN_NEVER_SET]');
    expect(strict.err).toMatch(
      /eventsmith: 2 warnings in domain YAML; --strict refuses them, so nothing was written\.\n$/,
    );
    await expect(readdir(join(dir, 'gen'))).rejects.toThrow();
    const check = await run('generate', '--check', '--strict', '--format', 'json');
    expect(check.status).toBe(1);
    expect((JSON.parse(check.out) as { warnings: Item[] }).warnings.map((w) => w.code)).toEqual([
      'FLOW.UNUSED_TYPE',
      'FLOW.COLUMN_NEVER_SET',
    ]);
  });

  it('generate --strict writes a domain without warnings', async () => {
    await writeFile(join(dir, 'domain/lab.yaml'), CLEAN);
    const { status, err } = await run('generate', '--strict');
    expect(status).toBe(0);
    expect(err).toBe('');
    expect(await readdir(join(dir, 'gen/lab'))).toContain('index.ts');
  });

  it('--strict is not an option of --watch, nor of other commands', async () => {
    const watch = await run('generate', '--watch', '--strict');
    expect(watch.status).toBe(2);
    expect(watch.err).toContain('--strict and --watch cannot be combined.');
    const migrate = await run('migrate', '--db', 'sqlite:x.db', '--strict');
    expect(migrate.status).toBe(2);
    expect(migrate.err).toContain('Unknown option --strict');
  });
});
