import { cp, mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureIo } from './test-support/run-cli.js';
import { main } from './main.js';

const REPO = join(import.meta.dirname, '..', '..', '..');

describe('eventsmith CLI', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-cli-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('has --help for every command', async () => {
    for (const command of ['generate', 'validate', 'init', 'migrate', 'check']) {
      const t = captureIo(dir);
      expect(await main([command, '--help'], t.io)).toBe(0);
      expect(t.out()).toContain(`Usage: eventsmith ${command}`);
    }
    const t = captureIo(dir);
    expect(await main(['--help'], t.io)).toBe(0);
    expect(t.out()).toContain('Commands:');
  });

  it('--version prints the generator package version and exits 0', async () => {
    const { version } = JSON.parse(await readFile(join(REPO, 'generator', 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v']) {
      const t = captureIo(dir);
      expect(await main([flag], t.io)).toBe(0);
      expect(t.out()).toBe(`${version}\n`);
      expect(t.err()).toBe('');
    }
  });

  it('rejects unknown commands and flags with a suggestion and status 2', async () => {
    const a = captureIo(dir);
    expect(await main(['generat'], a.io)).toBe(2);
    expect(a.err()).toContain('Did you mean "generate"?');
    const b = captureIo(dir);
    expect(await main(['generate', '--wach'], b.io)).toBe(2);
    expect(b.err()).toContain('Unknown option --wach');
  });

  it('says how to start when there is no config', async () => {
    const t = captureIo(dir);
    expect(await main(['generate'], t.io)).toBe(1);
    expect(t.err()).toContain('Run `eventsmith init`');
    expect(t.err()).not.toMatch(/\n\s+at /);
  });

  it('reports config errors with file:line:col', async () => {
    await writeFile(
      join(dir, 'eventsmith.config.yaml'),
      'domains:\n  - input: domain\n    output: gen\n    userdir: src\n',
    );
    const t = captureIo(dir);
    expect(await main(['validate'], t.io)).toBe(1);
    expect(t.err()).toContain('eventsmith.config.yaml:4:5  Unknown key "userdir" in domains[0].');
    expect(t.err()).toContain('has no `userDir`');
  });

  it('init scaffolds a project whose aggregate generate only adds to, and refuses to overwrite it', async () => {
    const t = captureIo(dir);
    expect(await main(['init', '--name', 'Library'], t.io)).toBe(0);
    for (const file of [
      'package.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'eventsmith.config.yaml',
      'domain/library.yaml',
      'src/main.ts',
      'src/library/todo-list.test.ts',
      '.gitignore',
    ]) {
      await expect(readFile(join(dir, file), 'utf8'), file).resolves.not.toBe('');
    }
    const aggregate = join(dir, 'src/library/aggregates/todo-list.ts');
    const written = await readFile(aggregate, 'utf8');
    expect(written).not.toContain('commandNotWritten');
    expect(written).toContain("from '../../generated/library/index.js'");
    const main_ = await readFile(join(dir, 'src/main.ts'), 'utf8');
    expect(main_).toContain('createLibraryRegistry()');
    expect(main_).toContain("'library.sqlite'");
    const g = captureIo(dir);
    expect(await main(['generate'], g.io)).toBe(0);
    expect(g.out()).toContain('created src/generated/library/index.ts');
    expect(g.out()).toContain('created src/generated/library/upcasters/golden.unit.test.ts');
    expect(g.out()).not.toContain('src/library/aggregates/todo-list.ts');
    expect(await readFile(aggregate, 'utf8')).toBe(written);
    // The starter files use only names the generated code exports, and main.ts wires the app in one call.
    expect(main_).toContain('await createLibraryApp({ store, aggregates: { todoList: TodoList } })');
    const generatedDir = join(dir, 'src/generated/library');
    const generated = (
      await Promise.all(
        (await readdir(generatedDir, { recursive: true }))
          .filter((f) => f.endsWith('.ts'))
          .map((f) => readFile(join(generatedDir, f), 'utf8')),
      )
    ).join('\n');
    for (const [file, text] of [
      ['aggregate', written],
      ['main.ts', main_],
    ] as const) {
      const names = /import \{([^}]*)\} from '[./]*generated\/library\/index\.js'/.exec(text)?.[1]?.split(',') ?? [];
      expect(names.length, file).toBeGreaterThan(0);
      for (const name of names.map((n) => n.replace(/^\s*type\s+/, '').trim()).filter(Boolean))
        expect(generated, `${file} imports ${name}`).toMatch(
          new RegExp(`export (declare )?(abstract )?(async )?(class|type|interface|const|function) ${name}\\b`),
        );
    }
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const { version } = JSON.parse(await readFile(join(REPO, 'generator', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(pkg['type']).toBe('module');
    expect(pkg['scripts']).toMatchObject({
      generate: 'eventsmith generate',
      start: 'npm run build && node dist/main.js',
    });
    expect(pkg['dependencies']).toMatchObject({ '@eventsmith/runtime': version, 'better-sqlite3': expect.any(String) });
    expect(pkg['devDependencies']).toMatchObject({
      '@eventsmith/generator': version,
      typescript: expect.any(String),
      vitest: expect.any(String),
    });
    expect(pkg['allowScripts']).toEqual({ 'better-sqlite3': true });
    expect(JSON.stringify(pkg)).not.toContain('tsx');
    const again = captureIo(dir);
    expect(await main(['init', '--name', 'Library'], again.io)).toBe(1);
    expect(again.err()).toContain('eventsmith.config.yaml, domain/library.yaml, src/library/aggregates/todo-list.ts');
    expect(again.err()).toContain('init writes nothing');
    expect(await readFile(aggregate, 'utf8')).toBe(written);
  });

  it("init merges into an existing package.json: keeps the user's fields, scripts and versions, says what it kept", async () => {
    const mine = {
      name: 'my-app',
      description: 'mine',
      scripts: { test: 'echo "Error: no test specified" && exit 1', start: 'node server.js', lint: 'eslint .' },
      dependencies: { 'better-sqlite3': '^11.0.0', express: '^5.0.0' },
    };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(mine, null, 4)}\n`);
    const t = captureIo(dir);
    expect(await main(['init'], t.io)).toBe(0);
    const text = await readFile(join(dir, 'package.json'), 'utf8');
    expect(text).toMatch(/^ {4}"name": "my-app",$/m);
    const pkg = JSON.parse(text) as Record<string, Record<string, string>>;
    expect(pkg['description']).toBe('mine');
    expect(pkg['type']).toBe('module');
    expect(pkg['scripts']).toEqual({
      test: 'eventsmith generate && vitest run',
      start: 'node server.js',
      lint: 'eslint .',
      generate: 'eventsmith generate',
      build: 'eventsmith generate && tsc -p tsconfig.build.json',
      typecheck: 'eventsmith generate && tsc --noEmit',
    });
    expect(pkg['dependencies']!['better-sqlite3']).toBe('^11.0.0');
    expect(pkg['allowScripts']).toBeUndefined();
    expect(pkg['dependencies']!['express']).toBe('^5.0.0');
    expect(pkg['dependencies']!['@eventsmith/runtime']).toBeDefined();
    expect(t.out()).toContain(
      'kept your "start" script ("node server.js"); eventsmith\'s would be "npm run build && node dist/main.js"',
    );
    expect(t.out()).toContain('replaced npm\'s placeholder "test" script');
    // Next steps name what runs the app, not the user's own start script.
    expect(t.out()).not.toContain('  npm start');
    expect(t.out()).toContain('  npx eventsmith generate && npx tsc -p tsconfig.build.json && node dist/main.js');
    expect(t.out()).toContain('\n  npm test\n');
  });

  it('init says when a package the app needs at run time is only in devDependencies, and leaves it there', async () => {
    const mine = {
      name: 'dev-installed',
      type: 'module',
      devDependencies: { '@eventsmith/generator': 'file:../g.tgz', '@eventsmith/runtime': 'file:../r.tgz' },
    };
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(mine, null, 2)}\n`);
    const t = captureIo(dir);
    expect(await main(['init'], t.io)).toBe(0);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(pkg['devDependencies']!['@eventsmith/runtime']).toBe('file:../r.tgz');
    expect(pkg['dependencies']!['@eventsmith/runtime']).toBeUndefined();
    expect(t.out()).toContain(
      'package.json: @eventsmith/runtime is in your devDependencies, but src/main.ts needs it when the app runs',
    );
    expect(t.out()).toContain('Move it to dependencies: npm install @eventsmith/runtime');
    expect(t.out()).not.toContain('better-sqlite3 is in your devDependencies');
  });

  it('init takes the package.json of `npm init -y` ("type": "commonjs" in an otherwise empty folder) and makes it an ES module project', async () => {
    await writeFile(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'fresh', version: '1.0.0', main: 'index.js', scripts: { test: 'echo "Error: no test specified" && exit 1' }, license: 'ISC', type: 'commonjs' }, null, 2)}\n`,
    );
    const t = captureIo(dir);
    expect(await main(['init'], t.io)).toBe(0);
    const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({
      name: 'fresh',
      license: 'ISC',
      type: 'module',
      scripts: { test: 'eventsmith generate && vitest run' },
    });
    expect(t.out()).toContain('changed "type" from "commonjs"');
  });

  it('init refuses a CommonJS project that has other files, and a package.json that is not JSON, writing nothing', async () => {
    await writeFile(join(dir, 'package.json'), '{ "name": "cjs", "type": "commonjs" }\n');
    await writeFile(join(dir, 'server.js'), "require('http');\n");
    const cjs = captureIo(dir);
    expect(await main(['init'], cjs.io)).toBe(1);
    expect(cjs.err()).toContain('INIT.COMMONJS');
    expect(cjs.err()).toContain('Set "type": "module"');
    await writeFile(join(dir, 'package.json'), '{ "name": ');
    const broken = captureIo(dir);
    expect(await main(['init'], broken.io)).toBe(1);
    expect(broken.err()).toContain('package.json in');
    expect(broken.err()).toContain('is not valid JSON');
    await expect(readFile(join(dir, 'eventsmith.config.yaml'))).rejects.toThrow();
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{ "name": ');
  });

  it('init adds "type": "module" to a package.json without one, and warns when other files there may be CommonJS', async () => {
    await writeFile(join(dir, 'package.json'), '{ "name": "untyped" }\n');
    const alone = captureIo(dir);
    expect(await main(['init'], alone.io)).toBe(0);
    expect(JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))).toMatchObject({ type: 'module' });
    expect(alone.out()).toContain('package.json: added "type": "module"');
    expect(alone.err()).toBe('');
    const other = join(dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'package.json'), '{ "name": "untyped-with-code" }\n');
    await writeFile(join(other, 'server.js'), "module.exports = require('http');\n");
    const withCode = captureIo(other);
    expect(await main(['init'], withCode.io)).toBe(0);
    expect(JSON.parse(await readFile(join(other, 'package.json'), 'utf8'))).toMatchObject({ type: 'module' });
    expect(withCode.err().match(/^warning: /gm)).toHaveLength(1);
    expect(withCode.err()).toContain('package.json had no "type"');
    expect(withCode.err()).toContain('must become ES modules or be renamed to .cjs');
  });

  it('generate warns once when the package.json above the generated code makes Node load it as CommonJS', async () => {
    await main(['init'], captureIo(dir).io);
    const pkgPath = join(dir, 'package.json');
    const pkg = JSON.parse(await readFile(pkgPath, 'utf8')) as Record<string, unknown>;
    const module = captureIo(dir);
    expect(await main(['generate'], module.io)).toBe(0);
    expect(module.err()).toBe('');

    await writeFile(pkgPath, JSON.stringify({ ...pkg, type: 'commonjs' }));
    const cjs = captureIo(dir);
    expect(await main(['generate'], cjs.io)).toBe(0);
    expect(cjs.err().match(/^warning: /gm)).toHaveLength(1);
    expect(cjs.err()).toContain(
      'warning: package.json says "type": "commonjs", so Node loads src/generated/todo and src/todo as CommonJS; the generated code and @eventsmith/runtime are ES modules',
    );
    expect(cjs.err()).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(cjs.err()).toContain('Set "type": "module" in package.json');
    const check = captureIo(dir);
    expect(await main(['generate', '--check'], check.io)).toBe(0);
    expect(check.err()).toContain('package.json says "type": "commonjs"');

    const { type: _type, ...untyped } = pkg;
    await writeFile(pkgPath, JSON.stringify(untyped));
    const json = captureIo(dir);
    expect(await main(['generate', '--format', 'json'], json.io)).toBe(0);
    const report = JSON.parse(json.out()) as { fileWarnings: string[] };
    expect(report.fileWarnings).toEqual([expect.stringContaining('package.json has no "type", so Node loads')]);
  });

  it('generate says where the method of a command removed from the YAML is, and what to delete, and keeps it', async () => {
    await main(['init'], captureIo(dir).io);
    expect(await main(['generate'], captureIo(dir).io)).toBe(0);
    const yamlPath = join(dir, 'domain/todo.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    const removed = yaml.replace(/\n {6}completeItem:\n[^\n]*\n[^\n]*/, '');
    expect(removed).not.toContain('completeItem');
    await writeFile(yamlPath, removed);
    const aggregate = join(dir, 'src/todo/aggregates/todo-list.ts');
    const before = await readFile(aggregate, 'utf8');
    const t = captureIo(dir);
    expect(await main(['generate'], t.io)).toBe(0);
    const lines = before.split('\n');
    const method = lines.findIndex((l) => l.startsWith('  completeItem(')) + 1;
    const imported = lines.findIndex((l) => l.includes('type TodoListCompleteItemCommand,')) + 1;
    expect(t.err()).toContain(
      `warning: src/todo/aggregates/todo-list.ts:${method}:3: TodoList.completeItem takes TodoListCompleteItemCommand, the parameters of command "completeItem", which TodoList no longer declares in the YAML; TodoListCompleteItemCommand is no longer generated, so this file does not compile. It was kept; delete the method, and TodoListCompleteItemCommand from the import on line ${imported}`,
    );
    expect(await readFile(aggregate, 'utf8')).toBe(before);
  });

  it('prints every YAML error once, as text or as JSON, and writes nothing', async () => {
    await main(['init'], captureIo(dir).io);
    const yamlPath = join(dir, 'domain/todo.yaml');
    const yaml = await readFile(yamlPath, 'utf8');
    await writeFile(
      yamlPath,
      yaml.replace('openItems: list<uuid>', 'openItems: integr').replace('emits: ItemAdded', 'emits: ItemAded'),
    );
    const text = captureIo(dir);
    expect(await main(['generate'], text.io)).toBe(1);
    expect(text.err()).toMatch(/domain\/todo\.yaml:\d+:\d+ {2}.*integr/);
    expect(text.err()).toContain('Did you mean "ItemAdded"?');
    expect(text.err()).toContain('nothing was written');
    const json = captureIo(dir);
    expect(await main(['validate', '--format', 'json'], json.io)).toBe(1);
    const parsed = JSON.parse(json.out()) as { errors: { code: string; where: { file: string; line: number } }[] };
    expect(parsed.errors.length).toBe(2);
    expect(parsed.errors[0]!.where.file).toBe('domain/todo.yaml');
    await expect(readFile(join(dir, 'src/generated/todo/index.ts'))).rejects.toThrow();
  });

  it('refuses a YAML alias bomb with a located error and no stack trace', async () => {
    await main(['init'], captureIo(dir).io);
    const bomb = ['domain: Todo', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    await writeFile(join(dir, 'domain/bomb.yaml'), `${bomb.join('\n')}\n`);
    const t = captureIo(dir);
    expect(await main(['validate'], t.io)).toBe(1);
    expect(t.err()).toMatch(/domain\/bomb\.yaml:\d+:\d+ /);
    expect(t.err()).toContain('YAML.');
    expect(t.err()).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });

  it('--check writes nothing, prints a diff and fails when generated code is stale', async () => {
    await main(['init'], captureIo(dir).io);
    const first = captureIo(dir);
    expect(await main(['generate', '--check'], first.io)).toBe(1);
    expect(first.err()).toContain('would create src/generated/todo/index.ts');
    await expect(readFile(join(dir, 'src/generated/todo/index.ts'))).rejects.toThrow();
    expect(await main(['generate'], captureIo(dir).io)).toBe(0);
    const clean = captureIo(dir);
    expect(await main(['generate', '--check'], clean.io)).toBe(0);
    expect(clean.out()).toContain('up to date');
    await writeFile(join(dir, 'src/generated/todo/types.ts'), '// @generated by eventsmith from nothing.\n');
    const yamlPath = join(dir, 'domain/todo.yaml');
    await writeFile(
      yamlPath,
      (await readFile(yamlPath, 'utf8')).replace(
        'fields: { itemId: uuid, text: string }',
        'fields: { itemId: uuid, text: string, priority: integer? }',
      ),
    );
    const stale = captureIo(dir);
    expect(await main(['generate', '--check'], stale.io)).toBe(1);
    expect(stale.out()).toContain('+++ b/src/generated/todo/events/todo-list.ts');
    expect(stale.out()).toMatch(/\n\+ {2}priority: fields\.integer\(\)\.optional\(\),\n/);
    expect(stale.out()).toContain('+++ /dev/null');
    expect(stale.err()).toContain('would remove src/generated/todo/types.ts');
  });

  it('the committed generated/ matches the examples (golden output)', async () => {
    const t = captureIo(REPO);
    const status = await main(['generate', '--check', '--config', join(REPO, 'eventsmith.config.yaml')], t.io);
    expect(t.out() + t.err()).toContain('up to date');
    expect(status).toBe(0);
  }, 60_000);
});

describe('eventsmith migrate', () => {
  it('creates the event store and projection tables in an SQLite file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventsmith-migrate-'));
    try {
      // One domain per database: the runtime keeps one projection migration table per database.
      const config = join(REPO, 'tmp', 'fixtures', `migrate-${Date.now()}.yaml`);
      await mkdir(join(REPO, 'tmp', 'fixtures'), { recursive: true });
      await writeFile(
        config,
        'domains:\n  - input: ../../examples/bank/domain\n    output: ../../generated/bank\n    userDir: ../../examples/bank/src\n',
      );
      const t = captureIo(REPO);
      const status = await main(['migrate', '--db', `sqlite:${join(dir, 'app.db')}`, '--config', config], t.io);
      expect(t.err()).toBe('');
      expect(status).toBe(0);
      expect(t.out()).toContain('generated/bank: applied 0001_create_account_summary');
      const again = captureIo(REPO);
      expect(await main(['migrate', '--db', join(dir, 'app.db'), '--config', config], again.io)).toBe(0);
      expect(again.out()).toContain('generated/bank: projection tables up to date');
      await rm(config);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('rejects a database URL it cannot place as a usage error (status 2, as its help says)', async () => {
    const t = captureIo(REPO);
    expect(await main(['migrate', '--db', 'oracle://x', '--config', join(REPO, 'eventsmith.config.yaml')], t.io)).toBe(
      2,
    );
    expect(t.err()).toContain('Cannot tell which database "oracle://x" is.');
    expect(t.err()).toContain('[DB.URL]');
    expect(t.err()).toContain('fix: Use sqlite:<file>');
  });
});

describe('eventsmith options and output', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-cli-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('refuses options that do not apply, before reading anything', async () => {
    const a = captureIo(dir);
    expect(await main(['generate', '--debounce', '50'], a.io)).toBe(2);
    expect(a.err()).toContain('--debounce applies only with --watch.');
    expect(a.err()).toContain('[CLI.NOT_APPLICABLE]');
    const b = captureIo(dir);
    expect(await main(['generate', '--watch', '--format', 'json'], b.io)).toBe(2);
    expect(JSON.parse(b.out())).toMatchObject({ errors: [{ code: 'CLI.NOT_APPLICABLE' }] });
  });

  it('migrate --format json prints only JSON: what each step applied, then nothing on a second run', async () => {
    const db = `sqlite:${join(dir, 'app.db')}`;
    const config = join(REPO, 'eventsmith.config.yaml');
    const first = captureIo(REPO);
    expect(await main(['migrate', '--db', db, '--config', config, '--format', 'json'], first.io)).toBe(0);
    const report = JSON.parse(first.out()) as { database: string; steps: { tables: string; applied: string[] }[] };
    expect(report.database).toBe(join(dir, 'app.db'));
    expect(report.steps.map((s) => s.tables)).toContain('event store');
    expect(report.steps.every((s) => s.applied.length > 0)).toBe(true);
    const second = captureIo(REPO);
    expect(await main(['migrate', '--db', db, '--config', config, '--format', 'json'], second.io)).toBe(0);
    const again = JSON.parse(second.out()) as { steps: { applied: string[] }[] };
    expect(again.steps.every((s) => s.applied.length === 0)).toBe(true);
  }, 120_000);

  it('init --format json prints only JSON: the files it created and the package.json changes', async () => {
    const t = captureIo(dir);
    expect(await main(['init', '--name', 'Library', '--format', 'json'], t.io)).toBe(0);
    const result = JSON.parse(t.out()) as { created: string[]; packageJson: unknown };
    expect(result.created).toContain('eventsmith.config.yaml');
    expect(result.created).toContain('domain/library.yaml');
    expect(result.packageJson).toBeTypeOf('object');
    expect(t.err()).toBe('');
  });

  it("exits with status 2 for a flag value the user typed wrong, as each command's help says, naming the fix", async () => {
    await main(['init'], captureIo(dir).io);
    const cases: [string[], string, string][] = [
      [['init', '--name', 'lower', '--dir', 'other'], 'INIT.NAME', '"lower" is not a PascalCase domain name.'],
      [['docs', '--out', 'src/generated/todo'], 'CLI.DOCS_OUT', 'the output folder `eventsmith generate` owns'],
      [['studio', '--db', 'foo://bar'], 'DB.URL', 'Cannot tell which database "foo://bar" is.'],
      [['studio', '--db', 'sqlite:none.sqlite', '--port', 'x'], 'STUDIO.PORT', '--port must be a port number'],
      [['studio', '--db', 'sqlite:none.sqlite', '--host', '0.0.0.0'], 'STUDIO.TOKEN_REQUIRED', 'Pass --token <secret>'],
      [['events', 'tail', '--db', 'foo://bar'], 'DB.URL', 'Cannot tell which database "foo://bar" is.'],
    ];
    const token = process.env['EVENTSMITH_STUDIO_TOKEN'];
    delete process.env['EVENTSMITH_STUDIO_TOKEN'];
    try {
      for (const [argv, code, message] of cases) {
        const t = captureIo(dir);
        const status = await main(argv, t.io);
        expect({ argv, status, code: t.err().includes(`[${code}]`), message: t.err().includes(message) }).toEqual({
          argv,
          status: 2,
          code: true,
          message: true,
        });
      }
    } finally {
      if (token !== undefined) process.env['EVENTSMITH_STUDIO_TOKEN'] = token;
    }
    const exists = captureIo(dir);
    expect(await main(['init'], exists.io)).toBe(1); // files already there: not a usage error
    expect(exists.err()).toContain('[INIT.EXISTS]');
  });

  it('ends the errors of operations commands and the studio without "nothing was written": they read', async () => {
    await main(['init'], captureIo(dir).io);
    for (const argv of [
      ['events', 'tail', '--db', 'sqlite:none.sqlite'], // not generated yet
      ['dlq', 'retry'], // no id
      ['studio', '--db', 'sqlite:none.sqlite', '--port', 'x'],
    ]) {
      const t = captureIo(dir);
      expect(await main(argv, t.io), argv.join(' ')).not.toBe(0);
      expect(t.err(), argv.join(' ')).toMatch(/\n1 error\.\n$/);
    }
  });
});
void cp;
