import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as typescript from 'prettier/plugins/typescript';
import { format } from 'prettier/standalone';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Prettier options, pinned here and nowhere else: output must not depend on a `.prettierrc`
 * near the user's files, or two machines would disagree about "unchanged".
 */
export const PRETTIER_OPTIONS = {
  printWidth: 120,
  tabWidth: 2,
  useTabs: false,
  semi: true,
  singleQuote: true,
  quoteProps: 'as-needed',
  trailingComma: 'all',
  bracketSpacing: true,
  arrowParens: 'always',
  endOfLine: 'lf',
} as const;

export type SourceFormat = 'typescript' | 'json' | 'none';

/** Thrown when prettier cannot parse emitted code: a generator bug, reported with the file. */
export class FormatError extends Error {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(
      `Internal generator error: the code emitted for ${path} does not parse (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}).`,
      { cause },
    );
  }
}

const cache = new Map<string, string>();
const CACHE_LIMIT = 20_000;

/**
 * Formats one file in-process with {@link PRETTIER_OPTIONS}. Results are memoised by input text,
 * so watch mode only pays for files whose emitted text changed.
 *
 * @example
 * ```ts
 * const text = await formatSource('generated/bank/index.ts', raw, 'typescript');
 * ```
 */
export async function formatSource(path: string, text: string, kind: SourceFormat): Promise<string> {
  if (kind === 'none') return text;
  const key = `${kind}\u0000${text}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const options = { ...PRETTIER_OPTIONS, parser: kind === 'json' ? 'json' : 'babel-ts' };
  let out: string;
  try {
    out = pool
      ? await pool.format(text, options)
      : await format(text, { ...options, plugins: [babel, estree, typescript] });
  } catch (error) {
    throw new FormatError(path, error);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, out);
  return out;
}

/**
 * Formats many files, on worker threads when there are enough cache misses to be worth it (a
 * large domain's first run); results are the same as {@link formatSource}, in input order.
 */
export async function formatSources(
  files: readonly { path: string; text: string; kind: SourceFormat }[],
): Promise<string[]> {
  const misses = files.filter((f) => f.kind !== 'none' && !cache.has(`${f.kind}\u0000${f.text}`)).length;
  const workers = Math.min(availableParallelism(), 4);
  if (misses < POOL_THRESHOLD || workers < 2)
    return Promise.all(files.map((f) => formatSource(f.path, f.text, f.kind)));
  pool = new FormatPool(workers);
  try {
    return await Promise.all(files.map((f) => formatSource(f.path, f.text, f.kind)));
  } finally {
    await pool.close();
    pool = undefined;
  }
}

/** Below this many files to format, starting workers costs more than it saves. */
const POOL_THRESHOLD = 60;
let pool: FormatPool | undefined;

class FormatPool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (out: string) => void; reject: (error: Error) => void }>();
  #next = 0;

  constructor(size: number) {
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(new URL('./format-worker.mjs', import.meta.url));
      worker.on('message', ({ id, out, error }: { id: number; out?: string; error?: string }) => {
        const job = this.#pending.get(id)!;
        this.#pending.delete(id);
        if (error !== undefined) job.reject(new Error(error));
        else job.resolve(out!);
      });
      return worker;
    });
  }

  format(text: string, options: object): Promise<string> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#workers[id % this.#workers.length]!.postMessage({ id, text, options });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
