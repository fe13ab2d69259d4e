import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { kebabCase } from '../emit/common/naming.js';
import { CliFailure } from './cli-error.js';
import type { CliIo } from './io.js';

export interface InitOptions {
  /** Domain name in PascalCase. Default `Todo`. */
  readonly name?: string;
  /** Folder to create the files in. Default: the working folder. */
  readonly dir?: string;
}

const TEMPLATES = join(dirname(fileURLToPath(import.meta.url)), 'templates');

/**
 * `eventsmith init`: writes `eventsmith.config.yaml` and `domain/<name>.yaml` from templates.
 * Refuses to overwrite anything.
 *
 * @example
 * ```sh
 * eventsmith init --name Library && eventsmith generate
 * ```
 */
export async function initProject(io: CliIo, options: InitOptions): Promise<string[]> {
  const name = options.name ?? 'Todo';
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) {
    throw new CliFailure([{ code: 'INIT.NAME', message: `"${name}" is not a PascalCase domain name.`, fix: 'Use letters and digits, starting with a capital, e.g. --name Library.' }]);
  }
  const dir = resolve(io.cwd, options.dir ?? '.');
  const slug = kebabCase(name);
  const files = [
    { path: 'eventsmith.config.yaml', template: 'config.yaml.hbs', data: { input: 'domain', output: `generated/${slug}`, userDir: `src/${slug}` } },
    { path: `domain/${slug}.yaml`, template: 'starter-domain.yaml.hbs', data: { name, schemaPath: '../node_modules/@eventsmith/schema/domain.schema.json' } },
  ];
  const existing = [];
  for (const f of files) if (await exists(join(dir, f.path))) existing.push(f.path);
  if (existing.length > 0) {
    throw new CliFailure([{ code: 'INIT.EXISTS', message: `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''} in ${dir}.`, fix: 'init never overwrites files: run it in a new folder, or pass --dir <folder>.' }]);
  }
  for (const f of files) {
    const template = Handlebars.compile(await readFile(join(TEMPLATES, f.template), 'utf8'), { noEscape: true, strict: true });
    await mkdir(dirname(join(dir, f.path)), { recursive: true });
    await writeFile(join(dir, f.path), template(f.data), { flag: 'wx' });
  }
  io.out(`Created ${files.map((f) => f.path).join(' and ')}.\nNext: run \`eventsmith generate\`, then fill in the aggregate class it creates under src/${slug}/aggregates/.\n`);
  return files.map((f) => f.path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
