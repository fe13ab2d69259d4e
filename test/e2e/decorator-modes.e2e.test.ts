/**
 * `@handles` under both decorator modes of TypeScript: the fixture application (test/e2e/consumer/fixtures/app,
 * which the packed-consumer check also builds) type-checks with standard decorators and with
 * `experimentalDecorators: true`, a handler of the wrong event is rejected in both, and the JavaScript TypeScript
 * emits in each mode runs: handlers apply, subclasses inherit and override them, a duplicate handler is refused.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { typeCheck } from '../support/type-check.js';
import { REPO } from '../support/temp-project.js';

const APP = join(REPO, 'test/e2e/consumer/fixtures/app/src');
const FILES = ['app.ts', 'main.ts'];
const out = join(REPO, 'tmp', 'fixtures', `decorators-${randomBytes(5).toString('hex')}`);

const MODES = [
  { name: 'standard (TC39) decorators', legacy: false, helper: '__esDecorate(' },
  { name: 'experimentalDecorators (legacy)', legacy: true, helper: '__decorate(' },
] as const;

/** Type errors in the fixture's own files, compiled as a user's project with lib es2022. */
async function diagnostics(legacy: boolean, replace?: (source: string) => string): Promise<string[]> {
  const app = join(APP, 'app.ts');
  const found = await typeCheck({
    tsconfig: {
      extends: join(REPO, 'tsconfig.base.json'),
      compilerOptions: { lib: ['es2022'], experimentalDecorators: legacy, emitDecoratorMetadata: legacy, noEmit: true },
      files: FILES.map((f) => join(APP, f)),
    },
    basePath: APP,
    overrides: replace ? { [app]: replace(await readFile(app, 'utf8')) } : {},
    reportUnder: [APP],
  });
  return found.map((d) => `${d.file}: TS${d.code} ${d.message}`);
}

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('@handles in both decorator modes', () => {
  for (const mode of MODES) {
    describe(mode.name, () => {
      it('type-checks the application', async () => {
        expect(await diagnostics(mode.legacy)).toEqual([]);
      }, 300_000);

      it('rejects a handler whose parameter is another event', async () => {
        const wrong = await diagnostics(mode.legacy, (source) =>
          source.replace('onAdded(event: CounterAdded)', 'onAdded(event: CounterOpened)'),
        );
        expect(wrong.join('\n')).toContain("'CounterOpened'");
      }, 300_000);

      it('runs the emitted JavaScript: handlers apply, are inherited and overridden, duplicates are refused', async () => {
        const dir = join(out, mode.legacy ? 'legacy' : 'standard');
        await mkdir(dir, { recursive: true });
        for (const file of FILES) {
          const { outputText } = ts.transpileModule(await readFile(join(APP, file), 'utf8'), {
            compilerOptions: {
              target: ts.ScriptTarget.ES2022,
              module: ts.ModuleKind.ESNext,
              experimentalDecorators: mode.legacy,
              emitDecoratorMetadata: mode.legacy,
            },
            fileName: file,
          });
          await writeFile(join(dir, file.replace(/\.ts$/, '.js')), outputText);
        }
        expect(await readFile(join(dir, 'app.js'), 'utf8')).toContain(mode.helper);
        // The runtime itself runs from its sources here (tsx); the application code is the emitted JS.
        const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(dir, 'main.js')], {
          cwd: REPO,
        });
        expect(JSON.parse(stdout)).toEqual({ total: 7, version: 2, loud: 31, duplicateRefused: true });
      }, 300_000);
    });
  }
});
