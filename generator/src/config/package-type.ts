import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { EventsmithConfig } from './config.js';

/**
 * Warnings for folders the generator writes (each domain's output and user folder) that Node
 * would load as CommonJS: the nearest package.json above them says `"type": "commonjs"` or has
 * no `"type"` (which means CommonJS). The generated code and `@eventsmith/runtime` are ES modules
 * (the runtime's exports have only an `import` condition), so such a project compiles and then
 * fails when it runs with Node's `ERR_PACKAGE_PATH_NOT_EXPORTED`. A warning, not an error: a
 * bundler (Vite, esbuild, webpack) that reads the TypeScript sources runs the code fine. One
 * warning per package.json; none when no package.json is found.
 *
 * @example
 * ```ts
 * for (const warning of await packageTypeWarnings(config)) console.warn(`warning: ${warning}`);
 * ```
 */
export async function packageTypeWarnings(config: EventsmithConfig): Promise<string[]> {
  const scopes = new Map<string, { type: unknown; folders: string[] }>();
  for (const domain of config.domains) {
    for (const folder of [domain.output, domain.userDir]) {
      const manifest = await nearestPackageJson(join(config.root, folder));
      if (manifest === undefined || manifest.type === 'module') continue;
      const scope = scopes.get(manifest.path) ?? { type: manifest.type, folders: [] };
      if (!scope.folders.includes(folder)) scope.folders.push(folder);
      scopes.set(manifest.path, scope);
    }
  }
  const warnings: string[] = [];
  for (const [path, { type, folders }] of scopes) {
    const shown = relative(config.root, path).split(sep).join('/');
    const says = type === undefined ? 'has no "type"' : `says "type": ${JSON.stringify(type)}`;
    warnings.push(
      `${shown} ${says}, so Node loads ${folders.join(' and ')} as CommonJS; the generated code and @eventsmith/runtime are ES modules, and Node refuses to load the runtime from CommonJS (ERR_PACKAGE_PATH_NOT_EXPORTED). Set "type": "module" in ${shown} (leave it if a bundler runs the code).`,
    );
  }
  return warnings;
}

interface Manifest {
  readonly path: string;
  readonly type: unknown;
}

/** The package.json that sets the module type of files in `folder` (which may not exist yet), as Node finds it. */
async function nearestPackageJson(folder: string): Promise<Manifest | undefined> {
  for (let dir = folder; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as unknown;
        const type =
          typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>)['type'] : undefined;
        return { path, type };
      } catch {
        return undefined; // not JSON: npm and Node report it themselves
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}
