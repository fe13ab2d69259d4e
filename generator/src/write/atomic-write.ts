import { randomBytes } from 'node:crypto';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of temporary files (git-ignored); a crash can leave one behind, never a half-written target. */
export const TEMP_PREFIX = '.eventsmith-tmp-';

/**
 * Writes `content` to `path` atomically: a temporary file in the same folder, then a rename, so
 * readers (editors, watchers, tsc) see the old file or the new one, never a partial one.
 *
 * @example
 * ```ts
 * await writeFileAtomic('generated/bank/index.ts', text);
 * ```
 */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}-${basename(path)}`);
  try {
    await writeFile(temp, content, 'utf8');
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
