/**
 * Throw-away eventsmith projects for end-to-end tests. They live under `tmp/fixtures/` in the
 * repository, so `@eventsmith/runtime` resolves from the root node_modules, while tsconfig and
 * vitest both ignore `fixtures/` folders (the golden tests generated into them are not collected).
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { main, type CliIo } from '@eventsmith/generator';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface TempProject {
  readonly root: string;
  readonly config: string;
  /** Runs the CLI in the project; resolves with the exit status and what it printed. */
  run(...argv: string[]): Promise<{ status: number; out: string; err: string }>;
  read(path: string): Promise<string>;
  write(path: string, text: string): Promise<void>;
  remove(): Promise<void>;
}

/** A project with `domain/` (the given YAML files), `generated/` for output and `src/` for user files. */
export async function tempProject(domain: Record<string, string>): Promise<TempProject> {
  const root = join(REPO, 'tmp', 'fixtures', `e2e-${randomBytes(5).toString('hex')}`);
  await mkdir(join(root, 'domain'), { recursive: true });
  for (const [name, text] of Object.entries(domain)) await writeFile(join(root, 'domain', name), text);
  const config = join(root, 'eventsmith.config.yaml');
  await writeFile(config, 'domains:\n  - input: domain\n    output: generated\n    userDir: src\n');
  const project: TempProject = {
    root,
    config,
    async run(...argv) {
      let out = '';
      let err = '';
      const io: CliIo = { cwd: root, out: (t) => void (out += t), err: (t) => void (err += t) };
      const status = await main(argv, io);
      return { status, out, err };
    },
    read: (path) => readFile(join(root, path), 'utf8'),
    write: async (path, text) => {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
  return project;
}

/** The bank example's YAML, as a `domain` argument for {@link tempProject}. */
export async function bankDomain(): Promise<Record<string, string>> {
  const dir = join(REPO, 'examples', 'bank', 'domain');
  return {
    'bank-account.yaml': await readFile(join(dir, 'bank-account.yaml'), 'utf8'),
    'account-summary.yaml': await readFile(join(dir, 'account-summary.yaml'), 'utf8'),
  };
}

/** Copies the hand-written BankAccount of the example into the project, with its imports re-pointed. */
export async function copyBankAccount(project: TempProject): Promise<void> {
  await cp(join(REPO, 'examples', 'decimal.ts'), join(project.root, 'decimal.ts'));
  const text = (await readFile(join(REPO, 'examples', 'bank', 'src', 'aggregates', 'bank-account.ts'), 'utf8'))
    .replace('../../../../generated/bank/index.js', '../../generated/index.js')
    .replace('../../../decimal.js', '../../decimal.js');
  await project.write('src/aggregates/bank-account.ts', text);
}

/** An aggregate skeleton with every handler stub written (each returns the state as it is). */
export function writeHandlerStubs(skeleton: string): string {
  return skeleton.replace(/return handlerNotWritten\('[\w.]+'\);/g, 'return { ...this.state };');
}

/**
 * Type-checks the project's TypeScript files with the repository's compiler options (strict,
 * noUncheckedIndexedAccess, …) and returns the diagnostics as `path:line  message` strings.
 */
let previous: ts.Program | undefined;

export function typeCheck(root: string, files: readonly string[]): string[] {
  const base = ts.readConfigFile(join(REPO, 'tsconfig.base.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(base.config, ts.sys, REPO);
  // Reusing the previous program lets the compiler skip re-parsing unchanged files (the runtime).
  const program = ts.createProgram(
    files.map((f) => join(root, f)),
    { ...options, noEmit: true, strict: true },
    undefined,
    previous,
  );
  previous = program;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where =
      d.file && d.start !== undefined
        ? `${relative(root, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
        : '(program)';
    return `${where}  ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** Every `.ts` file under the project's folders (relative paths, sorted). */
export async function tsFiles(root: string, dirs: readonly string[] = ['generated', 'src']): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(path);
      else if (e.name.endsWith('.ts')) out.push(path);
    }
  };
  for (const dir of dirs) await walk(dir);
  return out.sort();
}
