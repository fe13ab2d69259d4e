import { lstat, readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import type { ProjectError, ProjectLocation } from './project-error.js';

/** One domain: where its YAML is, where generated code goes, where user-owned files go. */
export interface DomainConfig {
  /** Files or folders (all `*.yaml`/`*.yml` inside), relative to the config's folder. */
  readonly input: readonly string[];
  /** Folder for generated code (owned by the generator). */
  readonly output: string;
  /** Folder for user-owned files: aggregate skeletons, custom upcasters and projection handlers. */
  readonly userDir: string;
}

/** A loaded `eventsmith.config.yaml` (or `.json`). */
export interface EventsmithConfig {
  /** Absolute path of the config file. */
  readonly file: string;
  /** Absolute folder every path in the config is relative to (the config file's folder). */
  readonly root: string;
  readonly domains: readonly DomainConfig[];
}

export const CONFIG_NAMES = ['eventsmith.config.yaml', 'eventsmith.config.yml', 'eventsmith.config.json'] as const;

/**
 * Finds the config: the given path, or the first `eventsmith.config.{yaml,yml,json}` in `cwd` or
 * a parent folder.
 */
export async function findConfig(cwd: string, explicit?: string): Promise<string | ProjectError> {
  if (explicit) {
    const path = resolve(cwd, explicit);
    return (await exists(path))
      ? path
      : {
          code: 'CONFIG.NOT_FOUND',
          message: `Config file ${explicit} does not exist.`,
          fix: 'Check the --config path.',
        };
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) if (await exists(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) break;
  }
  return {
    code: 'CONFIG.NOT_FOUND',
    message: `No eventsmith.config.yaml in ${cwd} or any parent folder.`,
    fix: 'Run `eventsmith init` to create one, or pass --config <file>.',
  };
}

/**
 * Reads and checks a config file. Every problem is reported, each with its position.
 *
 * @example
 * ```yaml
 * # eventsmith.config.yaml
 * domains:
 *   - input: examples/bank/domain
 *     output: generated/bank
 *     userDir: examples/bank/src
 * ```
 */
export async function loadConfig(file: string): Promise<EventsmithConfig | ProjectError[]> {
  const display = relative(process.cwd(), file) || file;
  let text: string;
  try {
    // A FIFO would block the read for good.
    if (!(await stat(file)).isFile())
      return [
        {
          code: 'CONFIG.READ',
          message: `${display} is not a regular file.`,
          fix: 'Point --config at the eventsmith.config.yaml file.',
        },
      ];
    text = await readFile(file, 'utf8');
  } catch (error) {
    return [
      {
        code: 'CONFIG.READ',
        message: `Cannot read ${display} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
        fix: 'Check the path and its permissions.',
      },
    ];
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: YamlNode | null | undefined, path: string) => {
    const offset = node?.range?.[0] ?? 0;
    const pos = lines.linePos(offset);
    return { file: display, line: pos.line, col: pos.col, path };
  };
  const errors: ProjectError[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return {
      code: 'CONFIG.SYNTAX',
      message: e.message.split('\n')[0]!,
      fix: `Fix the ${file.endsWith('.json') ? 'JSON' : 'YAML'} syntax.`,
      where: { file: display, line: pos.line, col: pos.col, path: '' },
    };
  });
  if (errors.length > 0) return errors;
  const root = doc.contents;
  if (!isMap(root))
    return [
      {
        code: 'CONFIG.SHAPE',
        message: 'The config must be a map with a `domains:` list.',
        fix: 'See `eventsmith init` for an example.',
        where: at(root, ''),
      },
    ];
  const domainsNode = root.get('domains', true) as YamlNode | undefined;
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'domains')
      errors.push({
        code: 'CONFIG.UNKNOWN_KEY',
        message: `Unknown key "${key}".`,
        fix: 'The config has one key, `domains:`.',
        where: at(pair.key as YamlNode, key),
      });
  }
  if (!isSeq(domainsNode) || domainsNode.items.length === 0) {
    errors.push({
      code: 'CONFIG.SHAPE',
      message: '`domains:` must be a non-empty list.',
      fix: 'Add one entry per domain with `input`, `output` and `userDir`.',
      where: at(domainsNode ?? root, 'domains'),
    });
    return errors;
  }
  const configDir = dirname(file);
  const domains: DomainConfig[] = [];
  domainsNode.items.forEach((item, i) => {
    const path = `domains[${i}]`;
    if (!isMap(item)) {
      errors.push({
        code: 'CONFIG.SHAPE',
        message: `${path} must be a map.`,
        fix: 'Write `input`, `output` and `userDir` keys.',
        where: at(item as YamlNode, path),
      });
      return;
    }
    const values: Partial<Record<'input' | 'output' | 'userDir', string[]>> = {};
    let inputAt: ProjectLocation[] = [];
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = pair.value as YamlNode | null;
      if (key !== 'input' && key !== 'output' && key !== 'userDir') {
        errors.push({
          code: 'CONFIG.UNKNOWN_KEY',
          message: `Unknown key "${key}" in ${path}.`,
          fix: 'Use `input`, `output` and `userDir`.',
          where: at(pair.key as YamlNode, `${path}.${key}`),
        });
        continue;
      }
      const list = isSeq(value) ? value.items : [value];
      const strings = list.map((v) =>
        isScalar(v) && typeof v.value === 'string' && v.value.trim() !== '' ? v.value.trim() : undefined,
      );
      if (strings.some((s) => s === undefined) || (key !== 'input' && isSeq(value))) {
        errors.push({
          code: 'CONFIG.TYPE',
          message: `${path}.${key} must be ${key === 'input' ? 'a path or a list of paths' : 'a path'}.`,
          fix: 'Write a path relative to the config file.',
          where: at(value, `${path}.${key}`),
        });
        continue;
      }
      values[key] = strings as string[];
      if (key === 'input')
        inputAt = list.map((v, j) => at(v as YamlNode, isSeq(value) ? `${path}.input[${j}]` : `${path}.input`));
    }
    for (const key of ['input', 'output', 'userDir'] as const) {
      if (!values[key])
        errors.push({
          code: 'CONFIG.REQUIRED',
          message: `${path} has no \`${key}\`.`,
          fix: REQUIRED_FIX[key],
          where: at(item, path),
        });
    }
    if (values.input && values.output && values.userDir) {
      const domain: DomainConfig = {
        input: values.input.map(normalize),
        output: normalize(values.output[0]!),
        userDir: normalize(values.userDir[0]!),
      };
      inputLocations.set(domain, inputAt);
      domains.push(domain);
    }
  });
  errors.push(...overlaps(domains, display));
  return errors.length > 0 ? errors : { file, root: configDir, domains };
}

/** Where each `input` path of a loaded domain is written in the config, for errors about it. */
const inputLocations = new WeakMap<DomainConfig, readonly ProjectLocation[]>();

const REQUIRED_FIX = {
  input: 'Add `input: <folder with the domain YAML>`.',
  output: 'Add `output: <folder for generated code>`, e.g. generated/<domain>.',
  userDir: 'Add `userDir: <folder for your aggregate classes and custom handlers>`.',
};

function overlaps(domains: readonly DomainConfig[], display: string): ProjectError[] {
  const errors: ProjectError[] = [];
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  domains.forEach((d, i) => {
    if (inside(d.output, d.userDir))
      errors.push({
        code: 'CONFIG.OVERLAP',
        message: `domains[${i}]: output (${d.output}) and userDir (${d.userDir}) overlap.`,
        fix: 'Generated files are removed when no longer emitted; keep your own files in a separate folder.',
        where: { file: display, line: 1, col: 1, path: `domains[${i}]` },
      });
    for (const input of d.input)
      if (inside(d.output, input))
        errors.push({
          code: 'CONFIG.OVERLAP',
          message: `domains[${i}]: output (${d.output}) overlaps input ${input}.`,
          fix: 'Put generated code in its own folder.',
          where: { file: display, line: 1, col: 1, path: `domains[${i}]` },
        });
    domains.slice(i + 1).forEach((e, j) => {
      if (inside(d.output, e.output))
        errors.push({
          code: 'CONFIG.OVERLAP',
          message: `domains[${i}] and domains[${i + j + 1}] share the output folder ${d.output}.`,
          fix: 'Give each domain its own output folder.',
          where: { file: display, line: 1, col: 1, path: `domains[${i + j + 1}]` },
        });
    });
  });
  return errors;
}

function normalize(path: string): string {
  const out = posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '');
  return out === '' ? '.' : out;
}

/**
 * The domain's YAML files (project-relative, sorted): files as given, folders expanded recursively.
 * A symbolic link among them must lead into one of the domain's input folders (a file input's own
 * folder counts): a link to `/etc/shadow` in a pull request must not end up in a CI log. Whether
 * each file can be read (a FIFO, a dangling link) is the reader's to say, without blocking.
 */
export async function resolveInputs(
  root: string,
  domain: DomainConfig,
): Promise<{ files: string[]; errors: ProjectError[] }> {
  const files = new Set<string>();
  const errors: ProjectError[] = [];
  const allowed: string[] = [];
  for (const [i, input] of domain.input.entries()) {
    const abs = join(root, input);
    let info;
    try {
      info = await stat(abs);
    } catch {
      const where = inputLocations.get(domain)?.[i];
      errors.push({
        code: 'CONFIG.INPUT_MISSING',
        message: `Input ${input} does not exist.`,
        fix: 'Fix the `input` path in the config (it is relative to the config file).',
        ...(where ? { where } : {}),
      });
      continue;
    }
    allowed.push(await realpath(info.isDirectory() ? abs : dirname(abs)));
    if (!info.isDirectory()) files.add(input);
    else for (const f of await yamlFilesUnder(root, input)) files.add(f);
  }
  for (const file of files) {
    const outside = await linkOutside(root, file, allowed);
    if (outside === undefined) continue;
    files.delete(file);
    errors.push({
      code: 'FILE.LINK_OUTSIDE_INPUT',
      message: `The file is a symbolic link to ${outside}, outside the input folders (${domain.input.join(', ')}); it was not read.`,
      fix: 'Copy the file into the input folder, or add the folder it is in to `input:` in the eventsmith config.',
      where: { file, line: 1, col: 1, path: '' },
    });
  }
  if (errors.length === 0 && files.size === 0) {
    errors.push({
      code: 'CONFIG.NO_YAML',
      message: `No *.yaml files in ${domain.input.join(', ')}.`,
      fix: 'Add domain YAML there, or run `eventsmith init`.',
    });
  }
  return { files: [...files].sort(), errors };
}

/**
 * Where a link at `file` points (as written in the link) when it resolves outside every folder of
 * `allowed` (real paths); undefined for a plain file, a link inside, and a dangling link (reading
 * it reports that).
 */
async function linkOutside(root: string, file: string, allowed: readonly string[]): Promise<string | undefined> {
  const abs = join(root, file);
  const info = await lstat(abs).catch(() => undefined);
  if (!info?.isSymbolicLink()) return undefined; // a file, or gone since the listing: reading it says so
  const real = await realpath(abs).catch(() => undefined);
  if (real === undefined) return undefined; // dangling, or a loop: reading it says so
  if (allowed.some((dir) => real === dir || real.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`)))
    return undefined;
  return await readlink(abs).catch(() => real);
}

async function yamlFilesUnder(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(root, dir), { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFilesUnder(root, path)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(path);
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
