import type { GeneratedFile } from '../emit/index.js';
import type { PreparedFile } from '../write/write-files.js';
import { formatSource, type Formatter } from './format-source.js';

/**
 * The format stage: renders every emitted file and formats it in memory, ready for the write stage
 * to compare with the file on disk. A `keep` file has no content: it is only checked to exist.
 *
 * @example
 * ```ts
 * const prepared = await formatFiles(emitDomain(model, { outDir: 'generated/bank', userDir: 'src/bank' }));
 * ```
 */
export async function formatFiles(
  files: readonly GeneratedFile[],
  format: Formatter = formatSource,
): Promise<PreparedFile[]> {
  return Promise.all(
    files.map(async (file) => {
      const merge = file.merge;
      const content = file.ownership === 'keep' ? '' : await format(file.path, file.render(), file.format);
      return {
        path: file.path,
        ownership: file.ownership,
        content,
        ...(merge ? { merge } : {}),
        ...(file.notice ? { notice: file.notice } : {}),
      };
    }),
  );
}
