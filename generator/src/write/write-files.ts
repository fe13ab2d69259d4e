import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { rmdir, unlink } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import type { ProjectError } from '../config/project-error.js';
import {
  GENERATED_MARKER,
  MARKDOWN_MARKER,
  type FileOwnership,
  type RenderedImport,
  type UserFileMerge,
} from '../emit/index.js';
import { TEMP_PREFIX, writeFileAtomic } from './atomic-write.js';
import type { mergeUserFile } from './merge-user-file.js';
import { quickCheck } from './quick-merge.js';

/** A formatted file, ready for the write stage. */
export interface PreparedFile {
  /** Project-relative, `/`-separated. */
  readonly path: string;
  readonly ownership: FileOwnership;
  /** The full content (for a user-owned file: the content it is created with). Empty for `keep`. */
  readonly content: string;
  readonly merge?: UserFileMerge & { readonly imports: readonly RenderedImport[] };
  /** For a `once` file: a warning to report when it is created. */
  readonly notice?: string;
}

/** What one file would become. `before` is empty for a new file, `after` empty for a removed one. */
export interface FileChange {
  readonly path: string;
  readonly kind: 'create' | 'update' | 'remove';
  readonly before: string;
  readonly after: string;
  /** For merged user files: what was added. */
  readonly added?: readonly string[];
}

export interface WriteReport {
  readonly changes: readonly FileChange[];
  readonly unchanged: number;
  readonly warnings: readonly string[];
  /** User-owned files that lack something but do not parse. When there is any, nothing was written. */
  readonly errors: readonly ProjectError[];
}

export interface WriteOptions {
  /** The project root every path is relative to. */
  readonly root: string;
  /** Folders the generator owns: generated files there that are no longer emitted are removed. */
  readonly ownedDirs: readonly string[];
  /** Compute the changes but write nothing (`--check`). */
  readonly dryRun?: boolean;
}

/**
 * The only stage that touches the disk. Generated files are written when their content changed
 * (atomically); `once` files only when missing; user-owned files are created, or merged into
 * with ts-morph (additions only); generated files no longer emitted are removed.
 *
 * @example
 * ```ts
 * const report = await writeFiles(prepared, { root: process.cwd(), ownedDirs: ['generated/bank'] });
 * ```
 */
export async function writeFiles(files: readonly PreparedFile[], options: WriteOptions): Promise<WriteReport> {
  const changes: FileChange[] = [];
  const warnings: string[] = [];
  const errors: ProjectError[] = [];
  let unchanged = 0;
  const planned = new Set(files.map((f) => f.path));

  // Every change is decided before any is written: a user-owned file that cannot be merged into
  // stops the run with nothing written, not half of it.
  await inBatches(files, async (file) => {
    const existing = await readText(options.root, file.path);
    const change = await decide(file, existing, warnings, errors);
    if (change) changes.push(change);
    else unchanged++;
  });
  const removed: { path: string; dir: string }[] = [];
  for (const dir of options.ownedDirs) {
    for (const path of await listFiles(options.root, dir)) {
      if (planned.has(path)) continue;
      const before = await readText(options.root, path);
      if (before === undefined || !isGenerated(before)) continue;
      changes.push({ path, kind: 'remove', before, after: '' });
      removed.push({ path, dir });
    }
  }
  const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  changes.sort(byPath);
  if (errors.length > 0) return { changes: [], unchanged: 0, warnings: warnings.sort(), errors: errors.sort(byWhere) };

  if (options.dryRun) return { changes, unchanged, warnings: warnings.sort(), errors };

  const owned = new Set(files.filter((f) => f.ownership === 'user').map((f) => f.path));
  const kept = new Set<string>();
  await inBatches(
    changes.filter((c) => c.kind !== 'remove'),
    async (c) => {
      // A user-owned file saved since it was read is kept as saved; the next run adds to it.
      if (owned.has(c.path) && ((await readText(options.root, c.path)) ?? '') !== c.before) {
        kept.add(c.path);
        return;
      }
      await writeFileAtomic(join(options.root, c.path), c.after);
    },
  );
  for (const { path, dir } of removed) {
    await unlink(join(options.root, path));
    await removeEmptyParents(options.root, path, dir);
  }
  for (const path of kept)
    warnings.push(`${path} was saved while eventsmith ran, and was left as you saved it: run generate again.`);
  return {
    changes: changes.filter((c) => !kept.has(c.path)),
    unchanged: unchanged + kept.size,
    warnings: warnings.sort(),
    errors,
  };
}

const byWhere = (a: ProjectError, b: ProjectError) => {
  const x = a.where?.file ?? '';
  const y = b.where?.file ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
};

async function decide(
  file: PreparedFile,
  existing: string | undefined,
  warnings: string[],
  errors: ProjectError[],
): Promise<FileChange | undefined> {
  switch (file.ownership) {
    case 'generated':
      if (existing === file.content) return undefined;
      return {
        path: file.path,
        kind: existing === undefined ? 'create' : 'update',
        before: existing ?? '',
        after: file.content,
      };
    case 'once':
      if (existing === undefined) {
        if (file.notice) warnings.push(`${file.path}: ${file.notice}`);
        return { path: file.path, kind: 'create', before: '', after: file.content };
      }
      if (existing !== file.content)
        warnings.push(
          `${file.path} differs from what was generated. A migration must never change once it may have run; it was left as it is.`,
        );
      return undefined;
    case 'keep':
      if (existing === undefined)
        warnings.push(
          `${file.path} is listed in the projection snapshot but missing. Restore it from version control: later migrations assume it ran.`,
        );
      return undefined;
    case 'user': {
      if (existing === undefined) return { path: file.path, kind: 'create', before: '', after: file.content };
      if (existing === NOT_READ.link || existing === NOT_READ.special) {
        warnings.push(
          `${file.path} is ${existing === NOT_READ.link ? 'a symbolic link to a file outside the project' : 'not a regular file'}; it was not read and was left as it is.`,
        );
        return undefined;
      }
      if (!file.merge) return undefined;
      // ts-morph only when something may be missing: loading it costs ~0.5 s, most runs need none.
      const merged =
        quickCheck(file.path, existing, file.merge) ?? (await loadMerge())(file.path, existing, file.merge);
      warnings.push(...merged.warnings);
      if (merged.error) errors.push(merged.error);
      if (merged.text === existing) return undefined;
      return { path: file.path, kind: 'update', before: existing, after: merged.text, added: merged.added };
    }
  }
}

let merge: Promise<typeof mergeUserFile> | undefined;
const loadMerge = () => (merge ??= import('./merge-user-file.js').then((m) => m.mergeUserFile));

/** The current text of each path that exists (the event lock, the projection snapshot), read as outputs are. */
export async function readExisting(root: string, paths: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await inBatches(paths, async (path) => {
    const text = await readText(root, path);
    if (text !== undefined) out.set(path, text);
  });
  return out;
}

/** True for text the generator wrote (TypeScript header or the snapshot's `$comment`). */
export function isGenerated(text: string): boolean {
  return (
    text.startsWith(GENERATED_MARKER) ||
    text.startsWith(`{\n  "$comment": "@generated by eventsmith`) ||
    // `eventsmith docs`: Markdown pages and the AsyncAPI document.
    text.startsWith(MARKDOWN_MARKER) ||
    text.startsWith(`{\n  "x-eventsmith": "@generated by eventsmith`)
  );
}

/**
 * What stands for the content of a path that is a symbolic link leading out of the project, or not
 * a regular file (a FIFO would block the read): such a file is never read, and `--check` shows this
 * line instead of its content. A generated file there is replaced by a regular file; a user-owned
 * one is left alone.
 */
const NOT_READ = {
  link: '(a symbolic link to a file outside the project: not read)\n',
  special: '(not a regular file: not read)\n',
} as const;

/**
 * Reads synchronously: a run reads every output file, and hundreds of small reads on this thread
 * take a fraction of the time they take through the thread pool (where each is four round trips:
 * open, stat, read, close). A generate run has nothing else to do meanwhile. The last path
 * component is opened without following a link and without blocking; a link is read only when it
 * leads to a file inside the project.
 */
async function readText(root: string, path: string): Promise<string | undefined> {
  const abs = join(root, path);
  let fd: number;
  try {
    fd = openSync(abs, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'EMLINK') return readLinked(root, abs);
    if (code === 'ENXIO') return NOT_READ.special; // a socket
    throw error;
  }
  try {
    return fstatSync(fd).isFile() ? readFileSync(fd, 'utf8') : NOT_READ.special;
  } finally {
    closeSync(fd);
  }
}

/** The content of the file a link leads to, if that is inside the project; undefined for a dangling link. */
async function readLinked(root: string, link: string): Promise<string | undefined> {
  let target: string;
  let project: string;
  try {
    target = realpathSync(link);
    project = realpathSync(root);
  } catch {
    return undefined; // dangling: written over like a missing file
  }
  if (!target.startsWith(project.endsWith(sep) ? project : `${project}${sep}`)) return NOT_READ.link;
  return readText(project, relative(project, target));
}

/** Project-relative paths of every file under `dir` (none if it does not exist). */
export async function listFiles(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules' || entry.name.startsWith(TEMP_PREFIX)) continue;
      const path = posix.join(rel, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(path);
    }
  };
  await walk(dir);
  return out.sort();
}

async function removeEmptyParents(root: string, path: string, stop: string): Promise<void> {
  for (let dir = posix.dirname(path); dir.length > stop.length && dir.startsWith(stop); dir = posix.dirname(dir)) {
    try {
      await rmdir(join(root, dir));
    } catch {
      return; // not empty
    }
  }
}

async function inBatches<T>(items: readonly T[], fn: (item: T) => Promise<void>, size = 64): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
