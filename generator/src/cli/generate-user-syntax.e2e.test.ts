import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { watchProject, type WatchEvent } from '../watch/watch-project.js';
import { runCli as run } from './test-support/run-cli.js';

// A user-owned file that does not parse is never merged into: ts-morph's error recovery would read
// the class wrongly and add duplicate members in odd places. `generate` refuses the whole run
// instead, at the first syntax error, and writes nothing.
const DOMAIN = `domain: Lab
aggregates:
  Box:
    commands:
      open: { params: { name: string }, emits: Opened }
    events:
      Opened:
        fields:
          name: string
`;
const MORE = DOMAIN.replace(
  '    events:\n',
  '      close: { params: { reason: string }, emits: Closed }\n    events:\n      Closed:\n        fields:\n          reason: string\n',
);
const BOX = 'src/aggregates/box.ts';

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile() && !entry.parentPath.includes('node_modules')) {
      const path = join(entry.parentPath, entry.name);
      out[path.slice(dir.length + 1)] = await readFile(path, 'utf8');
    }
  return out;
}

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'eventsmith-user-syntax-'));
  await mkdir(join(root, 'domain'));
  await mkdir(join(root, 'node_modules'));
  await writeFile(join(root, 'domain', 'lab.yaml'), DOMAIN);
  await writeFile(
    join(root, 'eventsmith.config.yaml'),
    'domains:\n  - input: domain\n    output: generated\n    userDir: src\n',
  );
  expect((await run(root, 'generate')).status).toBe(0);
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** The skeleton with one edit that breaks its syntax. */
const BROKEN = [
  {
    name: 'a helper method left unclosed above a @handles method',
    edit: (text: string) =>
      text.replace(
        '  @handles(Opened)',
        '  private isOpen(name: string): boolean {\n    return this.state !== undefined;\n\n  @handles(Opened)',
      ),
    where: `${BOX}:23:19`,
    reason: 'Declaration expected',
  },
  {
    name: 'a typo after the class brace',
    edit: (text: string) => text.replace('extends BoxBase {', 'extends BoxBase {{ oops'),
    where: `${BOX}:13:35`,
    reason: 'Unexpected token. A constructor, method, accessor, or property was expected',
  },
];

describe('generate with a user-owned file that does not parse', () => {
  for (const broken of BROKEN) {
    it(`refuses the run and changes no file: ${broken.name}`, async () => {
      const skeleton = await readFile(join(root, BOX), 'utf8');
      const text = broken.edit(skeleton);
      expect(text).not.toBe(skeleton);
      await writeFile(join(root, BOX), text);
      await writeFile(join(root, 'domain', 'lab.yaml'), MORE);
      const before = await tree(root);

      const generate = await run(root, 'generate');
      expect(generate.status).toBe(1);
      expect(generate.out).toBe('');
      expect(generate.err).toContain(
        `${broken.where}  ${BOX} has a syntax error (${broken.reason}), so eventsmith did not add close, onClosed to it.`,
      );
      expect(generate.err).toContain('[USER_FILE.SYNTAX]');
      expect(generate.err).toContain('fix: Fix the syntax error and run `eventsmith generate` again.');
      expect(generate.err).toContain('1 error; nothing was written.');
      // Byte for byte: the user's file, and every other output (no event file for Closed yet).
      expect(await tree(root)).toEqual(before);

      const check = await run(root, 'generate', '--check');
      expect(check.status).toBe(1);
      expect(check.err).toContain(`${broken.where}  ${BOX} has a syntax error`);
      expect(check.out).toBe('');

      const json = await run(root, 'generate', '--format', 'json');
      expect(json.status).toBe(1);
      expect(JSON.parse(json.out).errors).toEqual([
        expect.objectContaining({
          code: 'USER_FILE.SYNTAX',
          where: expect.objectContaining({ file: BOX, line: Number(broken.where.split(':')[1]) }),
        }),
      ]);
      expect(await tree(root)).toEqual(before);

      // Once fixed, the same run adds each stub once.
      await writeFile(join(root, BOX), skeleton);
      const fixed = await run(root, 'generate');
      expect(fixed.status, fixed.err).toBe(0);
      const merged = await readFile(join(root, BOX), 'utf8');
      expect(merged.match(/@handles\(Closed\)/g)).toHaveLength(1);
      expect(merged.match(/ close\(/g)).toHaveLength(1);
      expect(merged.trimEnd().endsWith('}')).toBe(true);
    });
  }

  it('--watch reports it at a YAML save, writes nothing and keeps watching', async () => {
    const skeleton = await readFile(join(root, BOX), 'utf8');
    await writeFile(join(root, BOX), BROKEN[0]!.edit(skeleton));
    const config = await loadConfig(join(root, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    const events: WatchEvent[] = [];
    const handle = watchProject(config, { debounceMs: 30, onEvent: (e) => events.push(e) });
    try {
      await handle.ready;
      const save = async (yaml: string) => {
        const mark = events.length;
        await writeFile(join(root, 'domain', 'lab.yaml'), yaml);
        for (const started = Date.now(); Date.now() - started < 20_000;) {
          const done = events.slice(mark).find((e) => e.kind !== 'ready');
          if (done) return (await handle.idle(), done);
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`no run after the save; saw ${events.map((e) => e.kind).join(', ')}`);
      };
      const before = await tree(root);
      const refused = await save(MORE);
      expect(refused.kind).toBe('invalid');
      expect(refused.kind === 'invalid' && refused.cliErrors).toEqual([
        expect.objectContaining({ code: 'USER_FILE.SYNTAX', where: expect.objectContaining({ file: BOX, line: 23 }) }),
      ]);
      expect(await tree(root)).toEqual({ ...before, 'domain/lab.yaml': MORE });

      await writeFile(join(root, BOX), skeleton);
      const after = await save(`${MORE}# fixed\n`);
      expect(after.kind).toBe('generated');
      expect((await readFile(join(root, BOX), 'utf8')).match(/@handles\(Closed\)/g)).toHaveLength(1);
    } finally {
      await handle.close();
    }
  });
});
