import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as typescript from 'prettier/plugins/typescript';
import { format } from 'prettier/standalone';

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
    super(`Internal generator error: the code emitted for ${path} does not parse (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}).`, { cause });
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
  let out: string;
  try {
    out = await format(text, {
      ...PRETTIER_OPTIONS,
      parser: kind === 'json' ? 'json' : 'typescript',
      plugins: [babel, estree, typescript],
    });
  } catch (error) {
    throw new FormatError(path, error);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, out);
  return out;
}
