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
export function printList(
  head: string,
  items: readonly string[],
  tail: string,
  options: { readonly indent?: string; readonly brackets?: '[]' | '{}' | '()' } = {},
): string {
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

/**
 * JSON as prettier's `json` parser prints it from `JSON.stringify(value, null, 2)`: objects one
 * property a line; arrays on one line when that line fits and no item is broken, else one item a
 * line (and always so for two or more arrays or objects of two or more entries each).
 *
 * @example
 * ```ts
 * printJson({ primaryKey: ['id'] }); // '{\n  "primaryKey": ["id"]\n}\n'
 * ```
 */
export function printJson(value: unknown): string {
  return `${jsonValue(value, '', 0)}\n`;
}

/** `used`: the width of what shares the value's line (indentation, key, trailing comma). */
function jsonValue(value: unknown, indent: string, used: number): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item, i) => jsonValue(item, inner, inner.length + (i < value.length - 1 ? 1 : 0)));
    const flat = `[${items.join(', ')}]`;
    const concise =
      value.length > 1 &&
      value.every(
        (item) =>
          typeof item === 'object' &&
          item !== null &&
          (Array.isArray(item) ? item.length : Object.keys(item).length) > 1,
      );
    if (!concise && !items.some((item) => item.includes('\n')) && used + flat.length <= PRINT_WIDTH) return flat;
    return `[\n${items.map((item, i) => `${inner}${item}${i < items.length - 1 ? ',' : ''}`).join('\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([key, v], i) => {
      const head = `${JSON.stringify(key)}: `;
      const comma = i < entries.length - 1 ? ',' : '';
      return `${inner}${head}${jsonValue(v, inner, inner.length + head.length + comma.length)}${comma}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
