import { createRequire } from 'node:module';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as typescript from 'prettier/plugins/typescript';
import { format } from 'prettier/standalone';
import { packageInfo } from '../package-info.js';

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

/** The parser TypeScript is formatted with. */
const PARSER = 'babel-ts';

/**
 * Everything besides the text that decides what {@link formatSource} makes of TypeScript: prettier's
 * version (its plugins come from the same package), the parser and the options, and eventsmith's
 * version, so that an upgrade never reuses what an older formatSource made. The format cache reuses
 * a result only under the same identity: a change to how formatSource calls prettier belongs here.
 */
export function prettierIdentity(options: object = PRETTIER_OPTIONS): string {
  const { version } = createRequire(import.meta.url)('prettier/package.json') as { version: string };
  return JSON.stringify({ prettier: version, parser: PARSER, options, eventsmith: packageInfo().version });
}

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

/** Formats one file's text; {@link formatSource} is the one `generate` uses. */
export type Formatter = (path: string, text: string, kind: SourceFormat) => Promise<string>;

/**
 * Formats one file in memory: TypeScript with prettier ({@link PRETTIER_OPTIONS}, the `babel-ts`
 * parser); JSON as `JSON.stringify(value, null, 2)` lays it out, which is what prettier's
 * `json-stringify` parser prints, at a hundredth of the cost on a large event lock (a test keeps the
 * two equal); `none` as it is. Emitters may print any layout: this decides it.
 *
 * @example
 * ```ts
 * const text = await formatSource('generated/bank/index.ts', raw, 'typescript');
 * ```
 */
export const formatSource: Formatter = async (path, text, kind) => {
  if (kind === 'none') return text;
  try {
    if (kind === 'json') return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    return await format(text, { ...PRETTIER_OPTIONS, parser: PARSER, plugins: [babel, estree, typescript] });
  } catch (error) {
    throw new FormatError(path, error);
  }
};
