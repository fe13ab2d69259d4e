import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../write/atomic-write.js';
import { formatSource, prettierIdentity, type Formatter } from './format-source.js';

/** What a project's cache file is named after (its config file), and how many such files are kept. */
const FILE_PREFIX = 'format-';
const KEEP_FILES = 10;
const HEADER = 'eventsmith format cache 1';

/**
 * A formatter that remembers across runs what prettier made of each emitted text, in one file per
 * config under `node_modules/.cache/eventsmith/` (the place eslint's and prettier's own caches use).
 * Formatting is most of a run's time; emitting is a fraction of it, so a run emits everything and
 * formats only texts it has not formatted before. The generated files carry nothing of this.
 */
export interface FormatCache {
  /** Use as `generateProject`'s `format`. Only TypeScript goes through the cache: JSON is cheap. */
  readonly format: Formatter;
  /**
   * Writes the texts this run formatted, and only those, so the file never outgrows the output.
   * Call it after a run whose format stage finished; it never throws.
   */
  save(): Promise<void>;
  /** How many TypeScript texts were found in the cache, and how many prettier formatted. */
  readonly stats: { readonly hits: number; readonly misses: number };
}

export interface FormatCacheOptions {
  /** What decides the output besides the text: a file written under another identity is ignored. Default {@link prettierIdentity}. */
  readonly identity?: string;
  /** The formatter to remember. Default {@link formatSource}. */
  readonly format?: Formatter;
}

/**
 * Opens the cache file `file` (see {@link formatCacheFile}). A missing, unreadable or damaged file
 * (the header carries a SHA-256 of the entries), or one written by another prettier version or with
 * other options, counts as empty: the cache can make a run faster, never fail it or change its output.
 *
 * @example
 * ```ts
 * const cache = openFormatCache(formatCacheFile(config));
 * const outcome = await generateProject({ config, format: cache.format });
 * if (outcome.ok) await cache.save();
 * ```
 */
export function openFormatCache(file: string | undefined, options: FormatCacheOptions = {}): FormatCache {
  const identity = sha256(options.identity ?? prettierIdentity());
  const format = options.format ?? formatSource;
  const stored = file === undefined ? new Map<string, string>() : read(file, identity);
  const used = new Map<string, string>();
  const stats = { hits: 0, misses: 0 };
  return {
    stats,
    format: async (path, text, kind) => {
      if (kind !== 'typescript') return format(path, text, kind);
      const key = sha256(text);
      const hit = stored.get(key) ?? used.get(key);
      if (hit !== undefined) {
        stats.hits++;
        used.set(key, hit);
        return hit;
      }
      const formatted = await format(path, text, kind);
      stats.misses++;
      used.set(key, formatted);
      return formatted;
    },
    save: async () => {
      // Nothing formatted: the run stopped before the format stage (invalid YAML), keep the file.
      if (file === undefined || used.size === 0) return;
      // Unchanged: every entry read was used and nothing was added.
      if (stats.misses === 0 && used.size === stored.size) return;
      try {
        const body = JSON.stringify(Object.fromEntries(used));
        await writeFileAtomic(file, `${HEADER} ${identity} ${sha256(body)}\n${body}`);
        prune(dirname(file));
      } catch {
        // A read-only or full disk: the next run formats again.
      }
    },
  };
}

/**
 * The cache file of a config: `node_modules/.cache/eventsmith/format-<hash of the config path>.json`
 * in the nearest folder, from the config's own upwards, that has a `node_modules`; undefined when
 * none has (then nothing is cached).
 */
export function formatCacheFile(config: { readonly file: string; readonly root: string }): string | undefined {
  for (let dir = config.root; ; dir = dirname(dir)) {
    try {
      if (statSync(join(dir, 'node_modules')).isDirectory())
        return join(
          dir,
          'node_modules',
          '.cache',
          'eventsmith',
          `${FILE_PREFIX}${sha256(config.file).slice(0, 16)}.json`,
        );
    } catch {
      // no node_modules here
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function read(file: string, identity: string): Map<string, string> {
  try {
    const text = readFileSync(file, 'utf8');
    const newline = text.indexOf('\n');
    const body = text.slice(newline + 1);
    // The header names the identity and the SHA-256 of the entries: a truncated or altered file is ignored.
    if (newline < 0 || text.slice(0, newline) !== `${HEADER} ${identity} ${sha256(body)}`) return new Map();
    const entries: unknown = JSON.parse(body);
    if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) return new Map();
    const map = new Map<string, string>();
    for (const [key, value] of Object.entries(entries)) if (typeof value === 'string') map.set(key, value);
    return map;
  } catch {
    return new Map();
  }
}

/** Keeps the {@link KEEP_FILES} most recently written cache files of the folder (one per project). */
function prune(dir: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.startsWith(FILE_PREFIX) && f.endsWith('.json'))
    .flatMap((f) => {
      try {
        return [{ path: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }];
      } catch {
        return []; // removed meanwhile by another run
      }
    })
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of files.slice(KEEP_FILES)) {
    try {
      unlinkSync(path);
    } catch {
      // removed meanwhile
    }
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
