import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { kebabCase } from '../emit/common/naming.js';
import { CliFailure, usageFailure } from './cli-error.js';
import type { CliIo } from './io.js';
import { packageInfo } from '../package-info.js';

export interface InitOptions {
  /** Domain name in PascalCase. Default `Todo`. */
  readonly name?: string;
  /** Folder to create the project in. Default: the working folder. */
  readonly dir?: string;
  /** `json` prints the {@link InitResult} as JSON instead of the report for people. */
  readonly format?: 'text' | 'json';
}

/** What `init` did: files it created and what it changed in package.json. */
export interface InitResult {
  readonly created: readonly string[];
  readonly packageJson: PackageJsonChanges;
}

/** The changes `init` made to package.json, and the user's scripts it kept. */
export interface PackageJsonChanges {
  readonly created: boolean;
  readonly addedScripts: readonly string[];
  readonly addedDependencies: readonly string[];
  /** Scripts the user already had with another command: left as they were. */
  readonly keptScripts: readonly { readonly name: string; readonly yours: string; readonly ours: string }[];
  /** npm's placeholder `test` script (`echo "Error: no test specified" && exit 1`), replaced. */
  readonly replacedPlaceholderTest: boolean;
  /** `"type": "commonjs"` (as `npm init -y` writes it) changed to `"module"` in a folder with nothing else. */
  readonly switchedToModule: boolean;
  /**
   * `"type": "module"` added to a package.json that had no `"type"` (which means CommonJS):
   * `'alone'` in a folder with nothing else, `'with-other-files'` when files there may be CommonJS.
   */
  readonly addedModuleType: false | 'alone' | 'with-other-files';
  /**
   * Packages the app imports when it runs that the user has only in `devDependencies`: left there,
   * but an install without dev dependencies (`npm ci --omit=dev`) would not have them.
   */
  readonly devOnlyRuntimeDependencies: readonly string[];
}

/**
 * Dependencies of a new project, besides `@eventsmith/runtime` and `@eventsmith/generator`
 * (those get the generator's own version).
 */
export const STARTER_DEPENDENCIES = {
  dependencies: { 'better-sqlite3': '^12.6.2' },
  devDependencies: { '@types/node': '^20.11.0', typescript: '^5.9.3', vitest: '^3.2.7' },
} as const;

/** The scripts of a new project: all run with plain Node, no TypeScript loader at run time. */
export const STARTER_SCRIPTS = {
  generate: 'eventsmith generate',
  build: 'eventsmith generate && tsc -p tsconfig.build.json',
  start: 'npm run build && node dist/main.js',
  test: 'eventsmith generate && vitest run',
  typecheck: 'eventsmith generate && tsc --noEmit',
} as const;

const NPM_PLACEHOLDER_TEST = 'echo "Error: no test specified" && exit 1';

/**
 * `eventsmith init`: scaffolds a project that runs, in an empty folder or one with only a
 * package.json: the config, a starter domain, its aggregate class with the handlers written, a
 * main program on SQLite, a test, a tsconfig, and the package.json scripts and dependencies.
 * An existing package.json is merged (the user's fields and scripts are kept); any other file
 * that already exists stops init before it writes anything.
 *
 * @example
 * ```sh
 * eventsmith init --name Library && npm install && npm start
 * ```
 */
export async function initProject(io: CliIo, options: InitOptions): Promise<InitResult> {
  const name = options.name ?? 'Todo';
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw usageFailure({
      code: 'INIT.NAME',
      message: `"${name}" is not a PascalCase domain name.`,
      fix: 'Use letters and digits, starting with a capital, e.g. --name Library.',
    });
  }
  const dir = resolve(io.cwd, options.dir ?? '.');
  const slug = kebabCase(name);
  const data = { name, slug };
  const files = [
    {
      path: 'eventsmith.config.yaml',
      template: 'eventsmith.config.yaml.hbs',
      data: { input: 'domain', output: `src/generated/${slug}`, userDir: `src/${slug}` },
    },
    {
      path: `domain/${slug}.yaml`,
      template: 'domain.yaml.hbs',
      data: { name, schemaPath: '../node_modules/@eventsmith/schema/domain.schema.json' },
    },
    { path: `src/${slug}/aggregates/todo-list.ts`, template: 'aggregate.ts.hbs', data },
    { path: `src/${slug}/todo-list.test.ts`, template: 'aggregate-test.ts.hbs', data },
    { path: 'src/main.ts', template: 'main.ts.hbs', data },
    { path: 'tsconfig.json', template: 'tsconfig.json', data },
    { path: 'tsconfig.build.json', template: 'tsconfig.build.json', data },
  ];
  const existing = [];
  for (const f of files) if (await exists(join(dir, f.path))) existing.push(f.path);
  if (existing.length > 0) {
    throw new CliFailure([
      {
        code: 'INIT.EXISTS',
        message: `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} in ${dir}; init writes nothing when any of its files is there.`,
        fix: 'Run `eventsmith init` in an empty folder (one with only a package.json is fine), or pass --dir <new folder>. To add a domain to an existing project, add its YAML and a `domains:` entry to eventsmith.config.yaml.',
      },
    ]);
  }
  const manifest = await mergePackageJson(dir, packageInfo().version);
  const templates = join(packageInfo().root, 'templates', 'init');
  const rendered = [];
  for (const f of files) {
    const source = await readFile(join(templates, f.template), 'utf8');
    rendered.push({
      path: f.path,
      text: f.template.endsWith('.hbs') ? Handlebars.compile(source, { noEscape: true, strict: true })(f.data) : source,
    });
  }
  const gitignore = !(await exists(join(dir, '.gitignore')));
  if (gitignore) rendered.push({ path: '.gitignore', text: await readFile(join(templates, 'gitignore'), 'utf8') });

  for (const f of rendered) {
    await mkdir(dirname(join(dir, f.path)), { recursive: true });
    await writeFile(join(dir, f.path), f.text, { flag: 'wx' });
  }
  await writeFile(join(dir, 'package.json'), manifest.text);
  const result: InitResult = { created: rendered.map((f) => f.path), packageJson: manifest.changes };
  if (options.format === 'json') io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(report(result.created, manifest.changes, dir === resolve(io.cwd) ? undefined : options.dir));
  if (options.format !== 'json' && manifest.changes.addedModuleType === 'with-other-files')
    io.err(
      'warning: package.json had no "type", which makes Node load .js files as CommonJS; init added "type": "module" because the generated code and @eventsmith/runtime are ES modules. JavaScript of yours in this package that uses require() or module.exports must become ES modules or be renamed to .cjs.\n',
    );
  return result;
}

async function mergePackageJson(dir: string, version: string): Promise<{ text: string; changes: PackageJsonChanges }> {
  const path = join(dir, 'package.json');
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = undefined;
  }
  let pkg: Record<string, unknown>;
  let switchedToModule = false;
  let addedModuleType: PackageJsonChanges['addedModuleType'] = false;
  if (text === undefined) {
    pkg = { name: packageName(basename(dir)), version: '0.1.0', private: true, type: 'module' };
  } else {
    try {
      pkg = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new CliFailure([
        {
          code: 'INIT.PACKAGE_JSON',
          message: `package.json in ${dir} is not valid JSON (${(error as Error).message}).`,
          fix: 'Fix package.json, then run `eventsmith init` again.',
        },
      ]);
    }
    if (typeof pkg !== 'object' || pkg === null || Array.isArray(pkg)) {
      throw new CliFailure([
        {
          code: 'INIT.PACKAGE_JSON',
          message: `package.json in ${dir} is not a JSON object.`,
          fix: 'Fix package.json, then run `eventsmith init` again.',
        },
      ]);
    }
    if (pkg['type'] === 'commonjs' && (await onlyPackageFiles(dir))) {
      switchedToModule = true; // `npm init -y` writes "type": "commonjs"; nothing here depends on it yet
    } else if (pkg['type'] !== undefined && pkg['type'] !== 'module') {
      throw new CliFailure([
        {
          code: 'INIT.COMMONJS',
          message: `package.json says "type": ${JSON.stringify(pkg['type'])} and the folder has other files; the code init writes and eventsmith generates is ES modules.`,
          fix: 'Set "type": "module" in package.json (or run init in a new folder), then run `eventsmith init` again.',
        },
      ]);
    }
    if (pkg['type'] === undefined) addedModuleType = (await onlyPackageFiles(dir)) ? 'alone' : 'with-other-files';
    pkg['type'] = 'module';
  }
  const scripts = record(pkg, 'scripts');
  const addedScripts: string[] = [];
  const keptScripts: { name: string; yours: string; ours: string }[] = [];
  let replacedPlaceholderTest = false;
  for (const [name, command] of Object.entries(STARTER_SCRIPTS)) {
    const yours = scripts[name];
    if (yours === undefined) {
      scripts[name] = command;
      addedScripts.push(name);
    } else if (name === 'test' && yours === NPM_PLACEHOLDER_TEST) {
      scripts[name] = command;
      replacedPlaceholderTest = true;
    } else if (yours !== command) {
      keptScripts.push({ name, yours: String(yours), ours: command });
    }
  }
  const own = { '@eventsmith/runtime': version };
  const ownDev = { '@eventsmith/generator': version };
  const addedDependencies: string[] = [];
  const devOnlyRuntimeDependencies = Object.keys({ ...own, ...STARTER_DEPENDENCIES.dependencies }).filter(
    (dep) => dep in record(pkg, 'devDependencies', false) && !(dep in record(pkg, 'dependencies', false)),
  );
  const has = (dep: string) =>
    ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].some(
      (field) => dep in record(pkg, field, false),
    );
  for (const [field, deps] of [
    ['dependencies', { ...own, ...STARTER_DEPENDENCIES.dependencies }],
    ['devDependencies', { ...ownDev, ...STARTER_DEPENDENCIES.devDependencies }],
  ] as const) {
    for (const [dep, range] of Object.entries(deps)) {
      if (has(dep)) continue;
      record(pkg, field)[dep] = range;
      addedDependencies.push(dep);
    }
    if (field in pkg) pkg[field] = sortKeys(record(pkg, field));
  }
  if (addedDependencies.includes('better-sqlite3')) {
    // npm 11 runs a dependency's install script only when `allowScripts` approves it, and
    // better-sqlite3's builds (or downloads) its native module.
    const allow = record(pkg, 'allowScripts');
    if (!('better-sqlite3' in allow)) allow['better-sqlite3'] = true;
  }
  const indent = text === undefined ? 2 : (/^[ \t]+(?=")/m.exec(text)?.[0] ?? 2);
  return {
    text: `${JSON.stringify(pkg, null, indent)}\n`,
    changes: {
      created: text === undefined,
      addedScripts,
      addedDependencies,
      keptScripts,
      replacedPlaceholderTest,
      switchedToModule,
      addedModuleType,
      devOnlyRuntimeDependencies,
    },
  };
}

function report(created: readonly string[], changes: PackageJsonChanges, dir: string | undefined): string {
  const lines = [`Created ${created.join(', ')}.`];
  if (changes.created) lines.push('Created package.json with the scripts generate, build, start, test and typecheck.');
  else {
    const added = [...changes.addedScripts.map((s) => `script "${s}"`), ...changes.addedDependencies];
    lines.push(added.length ? `package.json: added ${added.join(', ')}.` : 'package.json: nothing to add.');
    if (changes.switchedToModule)
      lines.push(
        'package.json: changed "type" from "commonjs" (npm init\'s default) to "module": the generated code is ES modules.',
      );
    if (changes.addedModuleType === 'alone')
      lines.push(
        'package.json: added "type": "module" (without it Node loads .js files as CommonJS): the generated code and @eventsmith/runtime are ES modules.',
      );
    if (changes.replacedPlaceholderTest)
      lines.push(`package.json: replaced npm's placeholder "test" script with "${STARTER_SCRIPTS.test}".`);
    for (const kept of changes.keptScripts) {
      lines.push(
        `package.json: kept your "${kept.name}" script ("${kept.yours}"); eventsmith's would be "${kept.ours}".`,
      );
    }
    for (const dep of changes.devOnlyRuntimeDependencies) {
      lines.push(
        `package.json: ${dep} is in your devDependencies, but src/main.ts needs it when the app runs, and an install without dev dependencies (npm ci --omit=dev) leaves it out. Move it to dependencies: npm install ${dep}`,
      );
    }
  }
  lines.push('', 'Next:');
  if (dir !== undefined) lines.push(`  cd ${dir}`);
  // Where the user kept a script of their own under that name, the commands it would have run.
  const kept = new Set(changes.keptScripts.map((k) => k.name));
  lines.push(
    '  npm install',
    kept.has('start')
      ? '  npx eventsmith generate && npx tsc -p tsconfig.build.json && node dist/main.js   # runs src/main.ts on SQLite (your "start" script stays yours)'
      : '  npm start        # generates the code, compiles it and runs src/main.ts on SQLite',
    kept.has('test') ? '  npx eventsmith generate && npx vitest run' : '  npm test',
  );
  lines.push(
    'Then change domain/*.yaml and run `npm run generate`: it adds stubs for new events and commands to your aggregate class.',
  );
  return `${lines.join('\n')}\n`;
}

function record(pkg: Record<string, unknown>, field: string, create = true): Record<string, unknown> {
  const value = pkg[field];
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  if (value !== undefined) {
    throw new CliFailure([
      {
        code: 'INIT.PACKAGE_JSON',
        message: `package.json's "${field}" is not an object.`,
        fix: `Make "${field}" an object (or remove it), then run \`eventsmith init\` again.`,
      },
    ]);
  }
  const fresh: Record<string, unknown> = {};
  if (create) pkg[field] = fresh;
  return fresh;
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A folder name as an npm package name: lower case, only URL-safe characters. */
function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '');
  return name === '' ? 'eventsmith-app' : name;
}

/** True when the folder holds only package.json, a lock file, node_modules and dot files. */
async function onlyPackageFiles(dir: string): Promise<boolean> {
  const entries = await readdir(dir);
  return entries.every(
    (name) =>
      name === 'package.json' || name === 'package-lock.json' || name === 'node_modules' || name.startsWith('.'),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
