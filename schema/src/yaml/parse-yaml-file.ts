import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { domainError, type DomainError } from '../domain-error.js';
import type { SourceLocation } from '../model.js';
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
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  const position = (offset: number): { line: number; col: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const errors: DomainError[] = doc.errors.map((e) => {
    const { line, col } = position(e.pos[0]);
    switch (e.code) {
      case 'DUPLICATE_KEY':
        return domainError('YAML.DUPLICATE_KEY', 'A key appears twice in the same map.', 'Remove or rename one of them; YAML keys must be unique.', at(line, col));
      case 'MULTIPLE_DOCS':
        return domainError('YAML.MULTIPLE_DOCUMENTS', 'The file holds more than one YAML document (`---`).', 'Put each document in its own file; a domain may span several files.', at(line, col));
      case 'RESOURCE_EXHAUSTION':
        return domainError('YAML.TOO_DEEP', 'The document is too large or too deeply nested to parse.', 'Simplify the structure of the file.', at(line, col));
      default:
        return domainError('YAML.SYNTAX', `YAML syntax error: ${firstLine(e.message)}.`, 'Fix the YAML syntax at this position (indentation, quotes, brackets, `key: value`).', at(line, col));
    }
  });
  if (errors.length > 0) return { errors };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    const tooManyAliases = error instanceof ReferenceError && /alias/i.test(error.message);
    return {
      errors: [
        tooManyAliases
          ? domainError(
              'YAML.ALIAS_LIMIT',
              `The document expands aliases more than ${limits.maxAliasCount} times (a "YAML bomb").`,
              'Use fewer anchors and aliases (`&name` / `*name`); write the repeated parts out or use named types.',
              at(1, 1),
            )
          : domainError('YAML.SYNTAX', `The document cannot be read: ${firstLine(String(error))}.`, 'Fix the YAML at this file.', at(1, 1)),
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
