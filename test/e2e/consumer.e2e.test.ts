/**
 * What a user does, outside this repository: install the packed packages into a new project,
 * `eventsmith init`, `generate`, type-check under several consumer tsconfigs (declarations
 * included), run the compiled app with plain `node` on SQLite, and run the project's tests (the
 * generated upcaster golden tests among them), and an operations command (`events tail`) on the
 * app's database.
 *
 * The packages are packed from this checkout (`npm pack`, whose prepack builds each one) and
 * installed from their tarballs; everything else comes from the npm registry. better-sqlite3 is
 * pinned to the version this repository has installed, and its compiled native module is copied
 * in: that stands in for the prebuilt binary better-sqlite3 downloads from GitHub, which this
 * machine cannot reach (building it from source takes minutes).
 */
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const PACKAGES = ['runtime', 'schema', 'generator'] as const;
const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];
const MINUTE = 60_000;

interface Ran {
  readonly stdout: string;
  readonly stderr: string;
}

/** A user's shell: none of the repository's source condition, vitest's or npm's variables. */
const userEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => !/^(NODE_OPTIONS|NODE_ENV|VITEST.*|TEST|npm_.*|EVENTSMITH_.*|INIT_CWD)$/i.test(key),
  ),
) as Record<string, string>;

/** Runs a command; rejects with its output when it exits non-zero or outlives `timeoutMs`. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(
            `\`${command} ${args.join(' ')}\` in ${cwd} ${signal ? `was killed (${signal}) after ${timeoutMs / 1000} s` : `exited with ${code}`}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`,
          ),
        );
    });
  });
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

describe('a project of its own, on the packed packages', () => {
  let work: string;
  let app: string;
  let version: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'eventsmith-consumer-'));
    app = join(work, 'app');
    version = (await readJson<{ version: string }>(join(REPO, 'generator', 'package.json'))).version;
    const tarballs = join(work, 'tarballs');
    await mkdir(tarballs);
    const packed = await run(
      'npm',
      ['pack', ...PACKAGES.flatMap((p) => ['-w', p]), '--pack-destination', tarballs, '--json'],
      REPO,
      8 * MINUTE,
    );
    const manifest = JSON.parse(packed.stdout) as { name: string; filename: string; files: { path: string }[] }[];
    expect(manifest.map((p) => p.name).sort()).toEqual([
      '@eventsmith/generator',
      '@eventsmith/runtime',
      '@eventsmith/schema',
    ]);
    for (const p of manifest) {
      // Tarballs carry the build, not the sources, tests, fixtures or benchmarks.
      expect(
        p.files.map((f) => f.path).filter((f) => /(^|\/)(src|test|fixtures|bench)\/|\.test\.|\.bench\./.test(f)),
        p.name,
      ).toEqual([]);
    }
    const tgz = (name: string) =>
      `file:${join(tarballs, basename(manifest.find((p) => p.name === `@eventsmith/${name}`)!.filename))}`;

    // A new folder with only `npm init -y`'s package.json, then the CLI installed as a dev tool.
    // @eventsmith/runtime and @eventsmith/schema come from their tarballs too: they are not on the
    // registry (a user gets them from it).
    await mkdir(app);
    await run('npm', ['init', '-y'], app, 2 * MINUTE);
    const sqlite = createRequire(join(REPO, 'runtime', 'package.json')).resolve('better-sqlite3/package.json');
    const sqliteVersion = (await readJson<{ version: string }>(sqlite)).version;
    await run(
      'npm',
      [
        'pkg',
        'set',
        `devDependencies.@eventsmith/generator=${tgz('generator')}`,
        `devDependencies.@eventsmith/schema=${tgz('schema')}`,
        `dependencies.@eventsmith/runtime=${tgz('runtime')}`,
        `dependencies.better-sqlite3=${sqliteVersion}`,
      ],
      app,
      2 * MINUTE,
    );
    await run('npm', ['install', '--ignore-scripts', ...NPM_FLAGS], app, 8 * MINUTE);
    const binary = join('build', 'Release', 'better_sqlite3.node');
    await mkdir(join(app, 'node_modules', 'better-sqlite3', 'build', 'Release'), { recursive: true });
    await copyFile(join(dirname(sqlite), binary), join(app, 'node_modules', 'better-sqlite3', binary));
  }, 16 * MINUTE);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(
    'runs the installed CLI: --version prints the package version, --help the commands',
    async () => {
      expect((await run('npx', ['eventsmith', '--version'], app, MINUTE)).stdout).toBe(`${version}\n`);
      expect((await run('npx', ['eventsmith', '--help'], app, MINUTE)).stdout).toContain('Usage: eventsmith <command>');
    },
    3 * MINUTE,
  );

  it(
    'init scaffolds the project into the package.json of `npm init -y`; npm install adds what it needs',
    async () => {
      const init = await run('npx', ['eventsmith', 'init'], app, 2 * MINUTE);
      expect(init.stdout).toContain('changed "type" from "commonjs"');
      const pkg = await readJson<{
        type: string;
        scripts: Record<string, string>;
        dependencies: Record<string, string>;
        devDependencies: Record<string, string>;
      }>(join(app, 'package.json'));
      expect(pkg.type).toBe('module');
      expect(Object.keys(pkg.scripts).sort()).toEqual(['build', 'generate', 'start', 'test', 'typecheck']);
      expect(pkg.dependencies['better-sqlite3']).toBeDefined();
      expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['typescript', 'vitest', '@types/node']));
      await run('npm', ['install', '--ignore-scripts', ...NPM_FLAGS], app, 8 * MINUTE);
      const bins = await readdir(join(app, 'node_modules', '.bin'));
      expect(bins).toEqual(expect.arrayContaining(['eventsmith', 'tsc', 'vitest']));
    },
    10 * MINUTE,
  );

  it(
    'generate writes the code and only adds to the aggregate class init wrote',
    async () => {
      const aggregate = await readFile(join(app, 'src/todo/aggregates/todo-list.ts'), 'utf8');
      const generated = await run('npm', ['run', 'generate'], app, 2 * MINUTE);
      expect(generated.stdout).toContain('created src/generated/todo/upcasters/golden.unit.test.ts');
      expect(await readFile(join(app, 'src/todo/aggregates/todo-list.ts'), 'utf8')).toBe(aggregate);
      expect((await run('npx', ['eventsmith', 'generate', '--check'], app, 2 * MINUTE)).stdout).toContain('up to date');
    },
    5 * MINUTE,
  );

  it(
    'npm start compiles the app and runs it with plain node on SQLite; the built JS runs again on the same database',
    async () => {
      const started = await run('npm', ['start'], app, 5 * MINUTE);
      expect(started.stdout).toContain('Rejected by the aggregate: Item');
      expect(started.stdout).toMatch(/Read model \(todo_items\):\n {2}\[ \] Bread\n {2}\[x\] Milk\n/);
      const again = await run('node', ['dist/main.js'], app, 2 * MINUTE);
      expect(again.stdout).toMatch(/v4 ItemCompleted/);
      expect(again.stdout).toMatch(/Read model \(todo_items\):\n {2}\[ \] Bread\n {2}\[x\] Milk\n/);
      const built = await readdir(join(app, 'dist'), { recursive: true });
      expect(built.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
      expect(built.filter((f) => f.includes('.test.'))).toEqual([]);

      // An operations command on the app's database: the installed CLI loads the project's .ts code
      // (generated registry, the user's aggregate class) through tsx, which Node alone cannot import.
      const tail = await run(
        'npx',
        ['eventsmith', 'events', 'tail', '--db', 'sqlite:todo.sqlite', '--format', 'json'],
        app,
        3 * MINUTE,
      );
      const { events } = JSON.parse(tail.stdout) as { events: { streamId: string; eventType: string }[] };
      expect(events.map((e) => e.eventType)).toEqual(
        [1, 2].flatMap(() => ['ListCreated', 'ItemAdded', 'ItemAdded', 'ItemCompleted']),
      );
      expect(events.every((e) => e.streamId.startsWith('TodoList-'))).toBe(true);
    },
    11 * MINUTE,
  );

  it(
    'type-checks under every consumer tsconfig, declarations included (skipLibCheck false)',
    async () => {
      const dir = join(REPO, 'test', 'e2e', 'consumer', 'tsconfigs');
      const variants = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
      expect(variants).toEqual(
        expect.arrayContaining(['bundler.json', 'lib-es2022.json', 'nodenext.json', 'strict.json']),
      );
      const failures: string[] = [];
      for (const variant of variants) {
        const config = await readJson<{ compilerOptions: Record<string, unknown> }>(join(dir, variant));
        expect(config.compilerOptions['skipLibCheck'], variant).toBe(false);
        // The app's own code and everything it imports; its test files (which pull in vitest's and
        // vite's declarations, not ours) are type-checked once by `npm run typecheck` below.
        await writeFile(
          join(app, `tsconfig.${variant}`),
          JSON.stringify({ ...config, exclude: ['src/**/*.test.ts'] }, null, 2),
        );
      }
      // Two at a time: the machine has two cores.
      const queue = [...variants];
      await Promise.all(
        [0, 1].map(async () => {
          for (let variant = queue.shift(); variant !== undefined; variant = queue.shift()) {
            await run('npx', ['tsc', '-p', `tsconfig.${variant}`, '--noEmit'], app, 5 * MINUTE).catch((error: Error) =>
              failures.push(`${variant}: ${error.message}`),
            );
          }
        }),
      );
      expect(failures).toEqual([]);
      await run('npm', ['run', 'typecheck'], app, 5 * MINUTE);
    },
    12 * MINUTE,
  );

  it(
    '@handles compiles and runs with the installed packages under standard and experimentalDecorators (the fixture app of decorator-modes.e2e.test.ts)',
    async () => {
      const outputs: string[] = [];
      for (const [mode, variant] of [
        ['standard', 'strict.json'],
        ['legacy', 'experimental-decorators.json'],
      ] as const) {
        // Inside the app folder, so that the fixture resolves the app's node_modules and "type": "module".
        const fixture = join(app, `decorators-${mode}`);
        await cp(join(REPO, 'test', 'e2e', 'consumer', 'fixtures', 'app', 'src'), join(fixture, 'src'), {
          recursive: true,
        });
        const config = await readJson<{ compilerOptions: Record<string, unknown> }>(
          join(REPO, 'test', 'e2e', 'consumer', 'tsconfigs', variant),
        );
        expect(config.compilerOptions['experimentalDecorators'] === true, variant).toBe(mode === 'legacy');
        await writeFile(join(fixture, 'tsconfig.json'), JSON.stringify(config, null, 2));
        await run('npx', ['tsc', '-p', 'tsconfig.json'], fixture, 5 * MINUTE);
        const emitted = await readFile(join(fixture, 'dist', 'app.js'), 'utf8');
        expect(emitted).toContain(mode === 'legacy' ? '__decorate(' : '__esDecorate(');
        outputs.push((await run('node', ['dist/main.js'], fixture, 2 * MINUTE)).stdout);
      }
      expect(JSON.parse(outputs[0]!)).toEqual({
        total: 7,
        version: 2,
        loud: expect.any(Number),
        duplicateRefused: true,
      });
      expect(outputs[1]).toBe(outputs[0]);
    },
    12 * MINUTE,
  );

  it(
    'npm test runs the project test and the generated upcaster golden tests with vitest',
    async () => {
      const tested = await run('npm', ['test'], app, 5 * MINUTE);
      const output = (tested.stdout + tested.stderr).replace(/\x1b\[[0-9;]*m/g, ''); // without colours
      expect(output).toContain('src/todo/todo-list.test.ts');
      expect(output).toContain('src/generated/todo/upcasters/golden.unit.test.ts');
      expect(output).toMatch(/Test Files {2}2 passed \(2\)/);
    },
    6 * MINUTE,
  );

  it(
    'eventsmith migrate applies the generated projection migrations to an SQLite file',
    async () => {
      const migrated = await run('npx', ['eventsmith', 'migrate', '--db', 'sqlite:migrate.sqlite'], app, 3 * MINUTE);
      expect(migrated.stdout).toContain('applied 0001_create_todo_items');
    },
    4 * MINUTE,
  );
});
