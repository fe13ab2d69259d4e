import { domainError, type DomainError } from '../domain-error.js';
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
  const isMap =
    file !== undefined && typeof file.value === 'object' && file.value !== null && !Array.isArray(file.value);
  const violations = !isMap
    ? []
    : Object.hasOwn(file.value as object, 'domain')
      ? validateDocument(file)
      : [notADomainFile(file)];
  const parsed: ParsedSource = { text: source.text, limits, file, errors, violations };
  if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
  parseCache.set(source.path, parsed);
  return parsed;
}

/**
 * A YAML map without `domain:` is reported as that alone: it may be any YAML file that ended up
 * among the inputs (a CI config, a link to a secret), and its keys and values are not echoed.
 */
function notADomainFile(file: ParsedYamlFile): SchemaViolation {
  return {
    path: [],
    error: domainError(
      'SCHEMA.REQUIRED',
      'The document is missing "domain", so it is not a domain file; its other content is not checked.',
      'Start the file with `domain: <Name>` (the same name in every file of the domain). If it is not domain YAML, move it out of the input folder.',
      file.locate([]),
    ),
  };
}

function sameLimits(a: YamlLimits, b: YamlLimits): boolean {
  return a.maxFileSize === b.maxFileSize && a.maxDepth === b.maxDepth && a.maxAliasCount === b.maxAliasCount;
}
