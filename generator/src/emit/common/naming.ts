/**
 * Name conversions used by every emitter. Identifiers reaching here were validated by the
 * loader (`^[A-Za-z_][A-Za-z0-9_]*$`, not reserved), so these only change case and never escape.
 */

/** `BankAccount` → `bank-account`, `OrderV2Placed` → `order-v2-placed`. */
export function kebabCase(name: string): string {
  return words(name).join('-');
}

/** `BankAccount` → `bankAccount`, `order_id` → `orderId`. */
export function camelCase(name: string): string {
  const [first = '', ...rest] = words(name);
  return first + rest.map(capitalize).join('');
}

/** `bankAccount` → `BankAccount`, `mark_paid` → `MarkPaid`. */
export function pascalCase(name: string): string {
  return words(name).map(capitalize).join('');
}

/** `AccountSummary` → `ACCOUNT_SUMMARY`. */
export function constantCase(name: string): string {
  return words(name).join('_').toUpperCase();
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const wordCache = new Map<string, string[]>();

function words(name: string): string[] {
  let cached = wordCache.get(name);
  if (cached === undefined) {
    if (wordCache.size >= 50_000) wordCache.clear();
    wordCache.set(name, (cached = splitWords(name)));
  }
  return cached;
}

function splitWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/**
 * A string literal as prettier prints it with `singleQuote`: single quotes, unless the value holds
 * more single than double quotes.
 */
export function quote(value: string): string {
  if (!/[\\'\r\n\u2028\u2029]/.test(value)) return `'${value}'`;
  const q = value.includes("'") && count(value, "'") > count(value, '"') ? '"' : "'";
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `${q}${body.split(q).join(`\\${q}`)}${q}`;
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** A JSON value as a TypeScript expression (strings single-quoted, keys quoted only when needed). */
export function literal(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${propertyKey(k)}: ${literal(v)}`,
    );
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
  }
  throw new TypeError(`Cannot render ${typeof value} as a literal`);
}

/** An object key: bare when it is an identifier, quoted otherwise. */
export function propertyKey(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : quote(key);
}

/** Text for a `/** … *\/` comment: closes no comment early, one line per source line. */
export function docComment(text: string | undefined, indent = ''): string {
  if (!text) return '';
  const lines = text.replace(/\*\//g, '*\\/').trim().split(/\r?\n/);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

/** Plain code-unit order, the same on every machine (never `localeCompare`). */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
