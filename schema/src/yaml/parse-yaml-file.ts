import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { domainError, type DomainError } from '../domain-error.js';
import type { SourceLocation } from '../model.js';
import { detectWrongEncoding } from './detect-encoding.js';
import { formatYamlPath, type PathSegment } from './yaml-path.js';

/** Limits that make hostile or broken input fail fast. */
export interface YamlLimits {
  /** Largest accepted file, in UTF-16 code units (default 4 MiB). */
  readonly maxFileSize: number;
  /** Deepest accepted nesting of maps, sequences and flow collections (default 64). */
  readonly maxDepth: number;
  /** Most alias expansions per file, to refuse "billion laughs" documents (default 100). */
  readonly maxAliasCount: number;
}

export const DEFAULT_YAML_LIMITS: YamlLimits = Object.freeze({
  maxFileSize: 4 * 1024 * 1024,
  maxDepth: 64,
  maxAliasCount: 100,
});

/** A parsed YAML file: its plain value and a way to find any path's source position. */
export interface ParsedYamlFile {
  readonly path: string;
  readonly value: unknown;
  /**
   * The location of the node at `path`: its value (default), or its key when `target` is `'key'`.
   * Paths that do not exist resolve to the deepest existing ancestor.
   */
  locate(path: readonly PathSegment[], target?: 'key' | 'value'): SourceLocation;
}

/**
 * Parses one YAML file keeping source positions. Never throws: syntax problems, duplicate keys,
 * oversized, too deeply nested or alias-bomb documents come back as {@link DomainError}s.
 */
export function parseYamlFile(
  path: string,
  text: string,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): { readonly file?: ParsedYamlFile; readonly errors: readonly DomainError[] } {
  const at = (line: number, col: number): SourceLocation => ({ file: path, line, col, path: '' });
  const encoding = detectWrongEncoding(text);
  if (encoding) {
    return {
      errors: [
        encoding === 'binary'
          ? domainError(
              'YAML.ENCODING',
              'The file holds NUL bytes, so it is not a text file.',
              'Save the domain YAML as UTF-8 text; check that this is the file you meant to put in the domain folder.',
              at(1, 1),
            )
          : domainError(
              'YAML.ENCODING',
              `The file is encoded as ${encoding}, not UTF-8.`,
              'Save it as UTF-8 (in most editors: "Save with encoding" → UTF-8).',
              at(1, 1),
            ),
      ],
    };
  }
  if (text.length > limits.maxFileSize) {
    return {
      errors: [
        domainError(
          'YAML.TOO_LARGE',
          `The file is ${text.length} characters long; the limit is ${limits.maxFileSize}.`,
          'Split the domain into several files (one per aggregate, for example).',
          at(1, 1),
        ),
      ],
    };
  }
  const deep = findExcessiveDepth(text, limits.maxDepth);
  if (deep) {
    return {
      errors: [
        domainError(
          'YAML.TOO_DEEP',
          `The document nests deeper than ${limits.maxDepth} levels.`,
          'Flatten the structure: domain YAML never needs this much nesting. Move nested objects into named types.',
          at(deep.line, deep.col),
        ),
      ],
    };
  }

  const lineCounter = new LineCounter();
  // Duplicate keys are found by one pass over the document below: the library's own check compares
  // each key with every earlier key of its map, which took minutes for a map with 100,000 keys.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, logLevel: 'error' });
  const position = (offset: number): { line: number; col: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  // Keys and library messages are quoted only from a file that names its domain: another YAML
  // file (or a link to a secret) that ended up among the inputs is never echoed into a CI log.
  const isDomainFile =
    isMap(doc.contents) && doc.contents.items.some((p) => isScalar(p.key) && p.key.value === 'domain');
  const errors: DomainError[] = [];
  // The library reports an unclosed bracket or quote where it gave up (often the next line, or the
  // end of the file), and an unclosed `[` inside `{ … }` twice. Each is reported once, where it opens.
  let unclosed: readonly Opener[] | undefined;
  const reportedOpeners = new Set<number>();
  // An unclosed quote runs on over the brackets after it: an opener before it cannot be judged.
  const unclosedQuotes = doc.errors
    .filter((e) => e.code === 'MISSING_CHAR' && /^Missing closing ["']quote/.test(e.message))
    .map((e) => quotedScalarStart(doc, e.pos[0]) ?? e.pos[0]);
  const reportedAt = new Set<string>();
  for (const e of doc.errors) {
    const flowEnd = /^(Flow (?:map|sequence)).* end with a ([}\]])$/.exec(firstLine(e.message));
    if (flowEnd) {
      unclosed ??= unclosedBrackets(text);
      const opener = [...unclosed].reverse().find((o) => o.offset < e.pos[0]);
      if (opener && reportedOpeners.has(opener.offset)) continue;
      if (unclosedQuotes.some((q) => q > (opener?.offset ?? e.pos[0]))) continue;
      if (opener) reportedOpeners.add(opener.offset);
      const char = opener?.char ?? (flowEnd[2] === '}' ? '{' : '[');
      const close = char === '{' ? '}' : ']';
      const { line, col } = position(opener?.offset ?? skipIndentation(text, e.pos[0]));
      errors.push(
        domainError(
          'YAML.SYNTAX',
          `YAML syntax error: the ${char === '{' ? 'flow map' : 'flow sequence'} opened with \`${char}\` here is not closed with \`${close}\`.`,
          char === '{'
            ? 'Close the { with } on the same line, or write the mapping as indented lines (`key: value`, one per line).'
            : 'Close the [ with ] on the same line, or write the list as indented lines (`- item`, one per line).',
          at(line, col),
        ),
      );
      continue;
    }
    if (e.code === 'MISSING_CHAR' && /^Missing closing (["'])quote/.test(e.message)) {
      const quote = e.message.includes('"quote') ? '"' : "'";
      const { line, col } = position(quotedScalarStart(doc, e.pos[0]) ?? skipIndentation(text, e.pos[0]));
      errors.push(
        domainError(
          'YAML.SYNTAX',
          `YAML syntax error: the quoted value opened with ${quote} here is not closed.`,
          `Close it with a ${quote} at the end of the value, or remove the opening ${quote} if the value needs no quotes.`,
          at(line, col),
        ),
      );
      continue;
    }
    const { line, col } = position(
      e.code === 'TAB_AS_INDENT' ? tabAt(text, e.pos[0]) : skipIndentation(text, e.pos[0]),
    );
    // The library may report one problem twice at one place, in two wordings: the first is kept.
    if (reportedAt.has(`${line}:${col}`)) continue;
    reportedAt.add(`${line}:${col}`);
    switch (e.code) {
      case 'MULTIPLE_DOCS':
        errors.push(
          domainError(
            'YAML.MULTIPLE_DOCUMENTS',
            'The file holds more than one YAML document (`---`).',
            'Put each document in its own file; a domain may span several files.',
            at(line, col),
          ),
        );
        break;
      case 'RESOURCE_EXHAUSTION':
        errors.push(
          domainError(
            'YAML.TOO_DEEP',
            'The document is too large or too deeply nested to parse.',
            'Simplify the structure of the file.',
            at(line, col),
          ),
        );
        break;
      default:
        errors.push(
          domainError(
            'YAML.SYNTAX',
            `YAML syntax error: ${syntaxMessage(e.code, firstLine(e.message), isDomainFile)}.`,
            OWN_WORDING[firstLine(e.message)]?.fix ??
              SYNTAX_FIXES[e.code] ??
              'Fix the YAML syntax at this position (indentation, quotes, brackets, `key: value`).',
            at(line, col),
          ),
        );
    }
  }
  if (errors.length === 0) {
    const merge = mergeKeyOffset(doc);
    if (merge !== undefined) {
      const { line, col } = position(merge);
      errors.push(
        domainError(
          'YAML.SYNTAX',
          'YAML merge keys (`<<: *name`) are not supported.',
          'Write the keys out in this map, or use the alias as the whole value (e.g. `fields: *common`) when nothing is added to it.',
          at(line, col),
        ),
      );
    }
  }
  for (const duplicate of duplicateKeys(doc)) {
    const keyPath = isDomainFile ? formatYamlPath(duplicate.path) : '';
    const first = { ...position(duplicate.first), file: path, path: keyPath };
    const where = { ...position(duplicate.at), file: path, path: keyPath };
    const key = isDomainFile
      ? `Key "${duplicate.key.length > 40 ? `${duplicate.key.slice(0, 32)}…` : duplicate.key}"`
      : 'A key';
    errors.push(
      domainError(
        'YAML.DUPLICATE_KEY',
        `${key} appears twice in the same map; the first is at ${path}:${first.line}:${first.col}.`,
        'Remove or rename one of them; YAML keys must be unique (merge the two entries into one).',
        where,
        [first],
      ),
    );
  }
  if (errors.length > 0) return { errors };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    const tooManyAliases = error instanceof ReferenceError && /excessive alias count/i.test(error.message);
    const unresolvedAlias = error instanceof ReferenceError && /unresolved alias/i.test(error.message);
    return {
      errors: [
        unresolvedAlias
          ? domainError(
              'YAML.SYNTAX',
              'An alias (`*name`) refers to an anchor (`&name`) that is not defined before it.',
              'Define the anchor before its first alias, or write the value out.',
              unresolvedAliasAt(doc, position, at),
            )
          : tooManyAliases
            ? domainError(
                'YAML.ALIAS_LIMIT',
                `The document expands aliases more than ${limits.maxAliasCount} times (a "YAML bomb").`,
                'Use fewer anchors and aliases (`&name` / `*name`); write the repeated parts out or use named types.',
                at(1, 1),
              )
            : domainError(
                'YAML.SYNTAX',
                'The document cannot be read as YAML.',
                'Fix the YAML of this file; `eventsmith validate` after each change shows what is left.',
                at(1, 1),
              ),
      ],
    };
  }

  // Locations are asked for repeatedly (every declaration, every error), and a parsed file is
  // reused for as long as its text is unchanged, so each answer is kept.
  const located = new Map<string, SourceLocation>();
  const locate = (p: readonly PathSegment[], target: 'key' | 'value' = 'value'): SourceLocation => {
    const key = `${target}${p.map((s) => (typeof s === 'number' ? `\u0000#${s}` : `\u0000${s}`)).join('')}`;
    let at = located.get(key);
    if (!at) located.set(key, (at = locateNode(doc, path, p, target, position)));
    return at;
  };
  return { errors: [], file: { path, value, locate } };
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/[.:]\s*$/, '');
}

/** The offset of the first character at or after `offset` that is not indentation, on the same line. */
function skipIndentation(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i < text.length && text[i] !== '\n' && text[i] !== '\r' ? i : offset;
}

/**
 * The yaml library's messages that quote nothing from the file. Others (an unknown tag or
 * directive, a bad escape sequence, an unexpected token) include source text, and are replaced
 * by a description of their kind unless the file names its domain.
 */
const FIXED_MESSAGES: ReadonlySet<string> = new Set([
  'All mapping items must start at the same column',
  'All sequence items must start at the same column',
  'Implicit keys of flow sequence pairs need to be on a single line',
  'Implicit map keys need to be followed by map values',
  'A block sequence may not be used as an implicit map key',
  'Block collections are not allowed within flow collections',
  'Block scalar values in collections must be indented',
  'Block scalars with more-indented leading empty lines must use an explicit indentation indicator',
  'Flow end indicator should be more indented than parent',
  'Tabs are not allowed as indentation',
  'Sequence item without - indicator',
  'Missing closing "quote',
  "Missing closing 'quote",
  'Comments must be separated from other tokens by white space characters',
  'Tags and anchors must be separated from the next token by white space',
  'A node can have at most one anchor',
  'A node can have at most one tag',
  'An alias node must not specify any properties',
  'Alias cannot be an empty string',
  'Anchor cannot be an empty string',
  ...['flow map', 'flow sequence'].flatMap((c) => [
    `Missing , between ${c} items`,
    `Missing , or : between ${c} items`,
    `Missing space after : in ${c}`,
    `Unexpected , in ${c}`,
    `Unexpected empty item in ${c}`,
    `${c[0]!.toUpperCase()}${c.slice(1)} must end with a ${c === 'flow map' ? '}' : ']'}`,
    `${c[0]!.toUpperCase()}${c.slice(1)} in block collection must be sufficiently indented and end with a ${c === 'flow map' ? '}' : ']'}`,
  ]),
]);

/** What each kind of syntax error is, for messages that would otherwise quote the file. */
const SYNTAX_KINDS: Readonly<Record<string, string>> = {
  BAD_INDENT: 'this line is indented differently from the lines around it',
  MISSING_CHAR: 'a character is missing here (a closing quote or bracket, a comma, a colon or a space)',
  UNEXPECTED_TOKEN: 'unexpected characters here',
  BAD_DQ_ESCAPE: 'an invalid escape sequence in a double-quoted string',
  BAD_SCALAR_START: 'a plain value cannot start with this character',
  BAD_DIRECTIVE: 'an unknown or invalid directive (a line starting with %)',
  TAG_RESOLVE_FAILED: 'an unknown tag (`!name`)',
  BAD_COLLECTION_TYPE: 'a tag (`!name`) that does not fit its value',
  BAD_PROP_ORDER: 'an anchor (`&name`) or tag (`!name`) in the wrong place',
  BAD_ALIAS: 'an invalid anchor or alias name',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters (the `:` must follow within 1024 characters)',
};

/**
 * Library messages in YAML-spec jargon ("implicit keys", "compact mappings"), replaced by a
 * description of the mistake that causes them and its fix.
 */
const OWN_WORDING: Readonly<Record<string, { readonly message: string; readonly fix: string }>> = {
  'Nested mappings are not allowed in compact mappings': {
    message: 'a key with its value on the same line (here) cannot also have nested keys on the lines indented below it',
    fix: 'Remove the value after the `:` to give the key nested keys, or indent the line below like the keys around this one.',
  },
  'Implicit keys need to be on a single line': {
    message: 'this line has no `:` after its key, so YAML reads it and the line below as one key',
    fix: 'Add `:` after the key (e.g. `state:`), or indent the line below like this one if it is a key of its own.',
  },
};

const SYNTAX_FIXES: Readonly<Record<string, string>> = {
  BAD_INDENT: 'Indent this line like the other keys (or list items) of its map (or list), with spaces.',
  TAB_AS_INDENT: 'Indent with spaces, not tabs (set your editor to insert spaces in YAML files).',
  MISSING_CHAR: 'Add the missing character: a space after `:`, or a comma between the items of a `{ }` or `[ ]`.',
  UNEXPECTED_TOKEN:
    'Remove the characters that do not belong here, or put the whole value in quotes if they are part of it.',
  BLOCK_AS_IMPLICIT_KEY:
    'Write each key on one line followed by `:`; check this line and the one above for a missing `:` or a wrong indentation.',
  MULTILINE_IMPLICIT_KEY:
    'Write each key on one line followed by `:`; check this line and the one above for a missing `:` or a wrong indentation.',
  BLOCK_IN_FLOW: 'Inside `{ }` or `[ ]` write values on the same line; use indented lines for nested maps and lists.',
  MULTIPLE_ANCHORS: 'Keep one anchor (`&name`) per value.',
  MULTIPLE_TAGS: 'Remove the tags; domain YAML needs none.',
  ALIAS_PROPS: 'Remove the anchor or tag in front of the alias (`*name`).',
  BAD_ALIAS: 'Name anchors and aliases with letters, digits, `-` and `_` (e.g. `&common` / `*common`).',
  BAD_PROP_ORDER: 'Put the anchor (`&name`) right before the value it names, after the `:`.',
  BAD_DQ_ESCAPE: 'Write `\\\\` for a backslash inside double quotes, or use single quotes.',
  BAD_SCALAR_START: 'Put the value in quotes.',
  TAG_RESOLVE_FAILED: 'Remove the tag; domain YAML needs none.',
  BAD_COLLECTION_TYPE: 'Remove the tag; domain YAML needs none.',
  BAD_DIRECTIVE: 'Remove the directive line; domain YAML needs none.',
  KEY_OVER_1024_CHARS: 'Shorten the key; names are at most 80 characters.',
};

function syntaxMessage(code: string, libraryMessage: string, isDomainFile: boolean): string {
  const own = OWN_WORDING[libraryMessage];
  if (own) return own.message;
  if (FIXED_MESSAGES.has(libraryMessage) || (isDomainFile && code !== 'KEY_OVER_1024_CHARS')) return libraryMessage;
  return SYNTAX_KINDS[code] ?? 'the YAML cannot be parsed here';
}

interface Opener {
  readonly char: '{' | '[';
  readonly offset: number;
}

/**
 * The `{` and `[` that are never closed, by a scan of the text that skips quoted values and comments.
 * A closer that does not match the innermost opener (`[a, b }`) leaves that opener unclosed.
 */
function unclosedBrackets(text: string): Opener[] {
  const open: Opener[] = [];
  const unclosed: Opener[] = [];
  let quote: string | null = null;
  let prevSpace = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      prevSpace = false;
      continue;
    }
    if (c === '#' && prevSpace) {
      while (i < text.length && text[i] !== '\n') i++;
      prevSpace = true;
      continue;
    }
    if ((c === '"' || c === "'") && prevSpace) quote = c;
    else if (c === '{' || c === '[') open.push({ char: c, offset: i });
    else if (c === '}' || c === ']') {
      const want = c === '}' ? '{' : '[';
      if (open.length > 0 && open[open.length - 1]!.char !== want) unclosed.push(open.pop()!);
      if (open.length > 0 && open[open.length - 1]!.char === want) open.pop();
    }
    prevSpace = c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '[' || c === '{' || c === ',' || c === ':';
  }
  return [...unclosed, ...open].sort((a, b) => a.offset - b.offset);
}

/** The offset of the opening quote of the quoted value that runs on to `end`. */
function quotedScalarStart(doc: Document, end: number): number | undefined {
  let start: number | undefined;
  visit(doc, {
    Scalar(_, node) {
      if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range && node.range[0] < end) {
        if (node.range[1] >= end && (start === undefined || node.range[0] > start)) start = node.range[0];
      }
    },
  });
  return start;
}

/** The offset of the first tab in the indentation of the line holding `offset`. */
function tabAt(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && text[i - 1] !== '\n') i--;
  for (; i < text.length && (text[i] === ' ' || text[i] === '\t'); i++) if (text[i] === '\t') return i;
  return offset;
}

/** The offset of the first plain `<<` key: a YAML 1.1 merge key, which the loader does not apply. */
function mergeKeyOffset(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && key.value === '<<' && key.type === 'PLAIN' && key.range) {
        offset = key.range[0];
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return offset;
}

/** Where the first alias without an anchor before it is. */
function unresolvedAliasAt(
  doc: Document,
  position: (offset: number) => { line: number; col: number },
  at: (line: number, col: number) => SourceLocation,
): SourceLocation {
  let offset: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined || !node.range) return undefined;
      offset = node.range[0];
      return visit.BREAK;
    },
  });
  const { line, col } = position(offset ?? 0);
  return at(line, col);
}

interface DuplicateKey {
  readonly key: string;
  /** Offset of the repetition. */
  readonly at: number;
  /** Offset of the first occurrence of the key. */
  readonly first: number;
  /** YAML path of the duplicated key. */
  readonly path: readonly PathSegment[];
}

/** Every key that repeats a key of its map (scalar keys; other keys fail the JSON Schema's name pattern). */
function duplicateKeys(doc: Document): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const walk = (node: unknown, path: readonly PathSegment[], depth: number): void => {
    if (depth > 200) return;
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        const key = keyText(pair.key);
        const offset = isNodeWithRange(pair.key) ? pair.key.range?.[0] : undefined;
        if (key !== undefined && offset !== undefined) {
          const first = seen.get(key);
          if (first === undefined) seen.set(key, offset);
          else out.push({ key, at: offset, first, path: [...path, key] });
        }
        walk(pair.value, [...path, key ?? '?'], depth + 1);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i], depth + 1));
    }
  };
  walk(doc.contents, [], 0);
  return out;
}

function locateNode(
  doc: Document,
  file: string,
  path: readonly PathSegment[],
  target: 'key' | 'value',
  position: (offset: number) => { line: number; col: number },
): SourceLocation {
  let node: unknown = doc.contents;
  let best: Node | null = isNodeWithRange(node) ? node : null;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    let key: unknown;
    if (isMap(node)) {
      const pair = pairIndex(node).get(String(segment));
      if (pair) {
        key = pair.key;
        next = pair.value;
      }
    } else if (isSeq(node) && /^\d+$/.test(String(segment))) {
      next = node.items[Number(segment)];
    }
    if (next === undefined && key === undefined) break;
    const last = i === path.length - 1;
    if (last && target === 'key' && isNodeWithRange(key)) {
      best = key;
      break;
    }
    if (isNodeWithRange(next)) best = next;
    else if (isNodeWithRange(key)) {
      best = key; // `key:` with no value
      if (!last) break;
    }
    node = next;
  }
  const offset = best?.range?.[0] ?? 0;
  const { line, col } = position(offset);
  return Object.freeze({ file, line, col, path: formatYamlPath(path) });
}

const pairIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/** Key text → pair of a map, built once per map (locating is then O(depth), not O(size)). */
function pairIndex(map: YAMLMap): Map<string, Pair> {
  let index = pairIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const item of map.items) {
      const key = isPair(item) ? keyText(item.key) : undefined;
      if (key !== undefined && !index.has(key)) index.set(key, item);
    }
    pairIndexes.set(map, index);
  }
  return index;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function isNodeWithRange(node: unknown): node is Node {
  return typeof node === 'object' && node !== null && 'range' in node && Array.isArray((node as Node).range);
}

/**
 * A cheap scan that over-estimates nesting (block indentation levels, `- ` markers and flow
 * brackets) so that hostile documents are refused before the recursive parser sees them.
 */
function findExcessiveDepth(text: string, maxDepth: number): { line: number; col: number } | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Start of a line: measure indentation and sequence markers.
    let col = 0;
    while (i < n && (text[i] === ' ' || text[i] === '\t')) {
      i++;
      col++;
    }
    if (i < n && text[i] !== '\n' && text[i] !== '\r' && text[i] !== '#' && flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= col) indents.pop();
      indents.push(col);
    }
    let dashes = 0;
    while (i < n && text[i] === '-' && (text[i + 1] === ' ' || text[i + 1] === '\t')) {
      dashes++;
      i += 2;
      col += 2;
      while (i < n && text[i] === ' ') {
        i++;
        col++;
      }
    }
    if (indents.length + dashes + flow > maxDepth) return { line, col: col + 1 };
    // Rest of the line.
    let quote: string | null = null;
    let prevSpace = true;
    while (i < n && text[i] !== '\n') {
      const c = text[i]!;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = null;
      } else if (c === '#' && prevSpace) {
        while (i < n && text[i] !== '\n') i++;
        break;
      } else if ((c === '"' || c === "'") && prevSpace) quote = c;
      else if (c === '[' || c === '{') {
        flow++;
        if (indents.length + dashes + flow > maxDepth) return { line, col: col + 1 };
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      prevSpace = c === ' ' || c === '\t' || c === '[' || c === '{' || c === ',' || c === ':';
      i++;
      col++;
    }
    i++; // the newline
    line++;
  }
  return undefined;
}
