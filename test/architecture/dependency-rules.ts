/**
 * The dependency direction of the repository, as data plus a scanner:
 * - `runtime/` imports nothing from `generator/` or `schema/`;
 * - `generated/` and `examples/` import only `@eventsmith/runtime` (and its subpaths) from
 *   `@eventsmith/*`; relative imports stay inside their own folder, except that `examples/` may
 *   import `generated/`;
 * - inside `runtime/src/`, folders are layered (`RUNTIME_LAYERS`): a production file imports only
 *   from its own folder or a lower layer, and only tests and test support (`*.test.ts`,
 *   `testing/`, `test-support/`, `fixtures/`) import vitest;
 * - inside `generator/src/`, an emitter folder (`emit/<target>/`) imports no other target's folder,
 *   only `emit/common/` and `emit/emitter.ts`; `watch/` and `generate-project.ts` do not import `cli/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import ts from 'typescript';

export interface SourceFile {
  /** Path relative to the repository root, with `/` separators. */
  readonly path: string;
  readonly source: string;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly rule: string;
}

const SOURCE = /\.(c|m)?(t|j)sx?$/;

/**
 * The layers of `runtime/src/`, lowest first. A production file may import from its own folder
 * and from folders (or top-level files) of lower layers; folders of one layer do not import each other. A new folder
 * must be placed here before it is imported.
 */
export const RUNTIME_LAYERS: readonly (readonly string[])[] = [
  ['store-failure-advice'],
  ['errors', 'polyfills', 'describe-thrown'],
  ['drivers', 'tenancy', 'telemetry', 'retry'],
  ['events'],
  ['snapshots'],
  ['store'],
  ['projections'],
  ['bus'],
  ['subscriptions'],
  ['outbox'],
  ['aggregates'],
  ['app'],
  ['testing'],
  ['index'],
];

/** Every source file under the given top-level folders, skipping node_modules and dist. */
export function sourceFiles(root: string, folders: readonly string[]): SourceFile[] {
  const files: SourceFile[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return; // a folder that does not exist yet has nothing to check
    }
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist' && !entry.name.startsWith('.')) walk(path);
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.push({ path, source: readFileSync(join(root, path), 'utf8') });
      }
    }
  };
  for (const folder of folders) walk(folder);
  return files;
}

/** Module specifiers of static imports, re-exports, `import()` and `require()` calls, with their lines. */
export function importsOf(file: SourceFile): { specifier: string; line: number }[] {
  const info = ts.preProcessFile(file.source, true, true);
  return info.importedFiles.map((ref) => ({
    specifier: ref.fileName,
    line: file.source.slice(0, ref.pos).split('\n').length,
  }));
}

/** The repository's dependency rules applied to `files`. */
export function findViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const area = file.path.split('/')[0]!;
    for (const { specifier, line } of importsOf(file)) {
      const rule = check(area, file.path, specifier);
      if (rule) violations.push({ file: file.path, line, specifier, rule });
    }
  }
  return violations;
}

function check(area: string, path: string, specifier: string): string | undefined {
  const pkg = /^@eventsmith\/([^/]+)/.exec(specifier)?.[1];
  const target = specifier.startsWith('.') ? topFolder(path, specifier) : undefined;
  switch (area) {
    case 'runtime':
      if (pkg === 'generator' || pkg === 'schema') return `runtime/ must not import @eventsmith/${pkg}`;
      if (target === 'generator' || target === 'schema') return `runtime/ must not import ${target}/`;
      return checkRuntimeLayers(path, specifier);
    case 'generated':
    case 'examples': {
      if (pkg !== undefined && pkg !== 'runtime')
        return `${area}/ may import only @eventsmith/runtime, not @eventsmith/${pkg}`;
      const allowed = area === 'examples' ? ['examples', 'generated'] : ['generated'];
      if (target !== undefined && !allowed.includes(target)) {
        return `${area}/ must not reach into ${target ?? '(outside the repository)'}/ with a relative import; import @eventsmith/runtime instead`;
      }
      return undefined;
    }
    case 'generator':
      return checkGenerator(path, specifier);
    default:
      return undefined;
  }
}

const GENERATOR_SRC = 'generator/src/';

/** Emitter folders stay independent of each other; the pipeline outside the CLI does not depend on it. */
function checkGenerator(path: string, specifier: string): string | undefined {
  if (!path.startsWith(GENERATOR_SRC) || !specifier.startsWith('.') || /\.test\.tsx?$/.test(path)) return undefined;
  const from = path.slice(GENERATOR_SRC.length);
  const to = normalize(join(dirname(path), specifier))
    .split(sep)
    .join('/')
    .slice(GENERATOR_SRC.length);
  const target = (rel: string) => /^emit\/([^/]+)\//.exec(rel)?.[1];
  const [fromTarget, toTarget] = [target(from), target(to)];
  if (fromTarget && fromTarget !== 'common' && toTarget && toTarget !== fromTarget && toTarget !== 'common')
    return `generator/src/emit/${fromTarget}/ must not import emit/${toTarget}/: share names through emit/common/names.ts and paths through Layout`;
  if (
    fromTarget &&
    fromTarget !== 'common' &&
    /^emit\/[^/]+\.(c|m)?(t|j)sx?$/.test(to) &&
    to !== 'emit/emitter.ts' &&
    to !== 'emit/emitter.js'
  )
    return `generator/src/emit/${fromTarget}/ must not import ${to}: emitters import only their own folder, emit/common/ and emit/emitter.ts`;
  if ((from.startsWith('watch/') || from === 'generate-project.ts') && to.startsWith('cli/'))
    return `generator/src/${from} must not import the CLI (${to}): configuration lives in generator/src/config/`;
  return undefined;
}

const RUNTIME_SRC = 'runtime/src/';

/** Test code: test files, and the folders that hold test support. Layers do not bind it. */
function isTestCode(path: string): boolean {
  return (
    /\.test\.tsx?$/.test(path) || /\/(test-support|fixtures)\//.test(path) || path.startsWith(`${RUNTIME_SRC}testing/`)
  );
}

/** The folder (or top-level file, without its extension) of `runtime/src/` that `path` is in, or undefined outside it. */
function runtimeUnit(path: string): string | undefined {
  return path.startsWith(RUNTIME_SRC)
    ? path
        .slice(RUNTIME_SRC.length)
        .split('/')[0]!
        .replace(/\.(c|m)?(t|j)sx?$/, '')
    : undefined;
}

function layerOf(unit: string): number {
  return RUNTIME_LAYERS.findIndex((layer) => layer.includes(unit));
}

function checkRuntimeLayers(path: string, specifier: string): string | undefined {
  const from = runtimeUnit(path);
  if (from === undefined) return undefined;
  if (specifier === 'vitest' || specifier.startsWith('vitest/')) {
    return isTestCode(path)
      ? undefined
      : 'runtime/src/ production code must not import vitest; put test support under runtime/src/testing/';
  }
  if (isTestCode(path) || !specifier.startsWith('.')) return undefined;
  const to = runtimeUnit(
    normalize(join(dirname(path), specifier))
      .split(sep)
      .join('/'),
  );
  if (to === undefined || to === from) return undefined;
  const [fromLayer, toLayer] = [layerOf(from), layerOf(to)];
  if (fromLayer < 0)
    return `runtime/src/${from} is in no layer; add it to RUNTIME_LAYERS in test/architecture/dependency-rules.ts`;
  if (toLayer < 0)
    return `runtime/src/${to} is in no layer; add it to RUNTIME_LAYERS in test/architecture/dependency-rules.ts`;
  if (toLayer >= fromLayer)
    return `runtime/src/${from} must not import runtime/src/${to} (layers point one way: see RUNTIME_LAYERS)`;
  return undefined;
}

/** The top-level folder a relative import from `path` lands in ('..' when it leaves the repository). */
function topFolder(path: string, specifier: string): string {
  const resolved = normalize(join(dirname(path), specifier));
  const first = resolved.split(sep)[0]!;
  return relative('.', resolved).startsWith('..') ? '..' : first;
}
