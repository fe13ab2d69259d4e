import type { DomainError } from '../domain-error.js';
import { parseYamlFile, type ParsedYamlFile, type YamlLimits } from '../yaml/parse-yaml-file.js';
import { validateDocument, type SchemaViolation } from './validate-document.js';

/** One source file as given to the loader. */
export interface SourceText {
  readonly path: string;
  readonly text: string;
}

/** A file after parsing and JSON Schema validation. */
export interface ParsedSource {
  readonly text: string;
  readonly limits: YamlLimits;
  readonly file?: ParsedYamlFile;
  readonly errors: readonly DomainError[];
  readonly violations: readonly SchemaViolation[];
}

/**
 * Parsing and schema validation depend only on a file's text, so their results are cached per
 * path: `generate --watch` re-parses only the file that changed. Results are immutable.
 */
const parseCache = new Map<string, ParsedSource>();
const PARSE_CACHE_LIMIT = 4096;

export function parseAndValidate(source: SourceText, limits: YamlLimits): ParsedSource {
  const cached = parseCache.get(source.path);
  if (cached && cached.text === source.text && sameLimits(cached.limits, limits)) return cached;
  const { file, errors } = parseYamlFile(source.path, source.text, limits);
  const isMap = file !== undefined && typeof file.value === 'object' && file.value !== null && !Array.isArray(file.value);
  const parsed: ParsedSource = { text: source.text, limits, file, errors, violations: isMap ? validateDocument(file) : [] };
  if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
  parseCache.set(source.path, parsed);
  return parsed;
}

function sameLimits(a: YamlLimits, b: YamlLimits): boolean {
  return a.maxFileSize === b.maxFileSize && a.maxDepth === b.maxDepth && a.maxAliasCount === b.maxAliasCount;
}
