import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The generator's own package: its folder and its package.json fields the CLI uses. */
export interface PackageInfo {
  /** Absolute folder of `@eventsmith/generator` (holds package.json and templates/). */
  readonly root: string;
  readonly name: string;
  readonly version: string;
}

const NAME = '@eventsmith/generator';
let cached: PackageInfo | undefined;

/**
 * Finds the generator's package.json by walking up from this module, so it works the same from
 * the sources (`src/`) and from the build (`dist/`).
 *
 * @example
 * ```ts
 * console.log(packageInfo().version); // "0.1.0"
 * ```
 */
export function packageInfo(): PackageInfo {
  if (cached) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === NAME && typeof manifest.version === 'string') {
      cached = { root: dir, name: NAME, version: manifest.version };
      return cached;
    }
    if (dirname(dir) === dir) throw new Error(`Cannot find the package.json of ${NAME} above ${start}.`);
  }
}

function readManifest(path: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}
