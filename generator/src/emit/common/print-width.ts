/**
 * Line breaking as prettier does it, for emitters that print prettier's shape themselves (see
 * `GeneratedFile.preformatted`): a list stays on one line when that line fits the print width,
 * and otherwise takes one item per line with a trailing comma.
 */

/** `PRETTIER_OPTIONS.printWidth` (a test keeps the two equal; emitters do not load prettier). */
export const PRINT_WIDTH = 120;

/**
 * `${head}${open}a, b${close}${tail}` on one line when it fits at `indent`, else one item per line.
 *
 * @example
 * ```ts
 * printList('export const all = ', ['A', 'B'], ' as const;'); // 'export const all = [A, B] as const;'
 * ```
 */
export function printList(head: string, items: readonly string[], tail: string, options: { readonly indent?: string; readonly brackets?: '[]' | '{}' | '()' } = {}): string {
  const indent = options.indent ?? '';
  const [open, close] = options.brackets === '{}' ? ['{', '}'] : options.brackets === '()' ? ['(', ')'] : ['[', ']'];
  const pad = open === '{' && items.length > 0 ? ' ' : '';
  const flat = `${head}${open}${pad}${items.join(', ')}${pad}${close}${tail}`;
  if (items.length === 0 || indent.length + flat.length <= PRINT_WIDTH) return flat;
  return `${head}${open}\n${items.map((item) => `${indent}  ${item},`).join('\n')}\n${indent}${close}${tail}`;
}

/**
 * `${head} A | B;` on one line when it fits, else prettier's leading-bar form, one member a line.
 *
 * @example
 * ```ts
 * printUnion('export type E =', ['A', 'B'], ';'); // 'export type E = A | B;'
 * ```
 */
export function printUnion(head: string, members: readonly string[], tail: string): string {
  const flat = `${head} ${members.join(' | ')}${tail}`;
  if (members.length < 2 || flat.length <= PRINT_WIDTH) return flat;
  return `${head}\n${members.map((m) => `  | ${m}`).join('\n')}${tail}`;
}
