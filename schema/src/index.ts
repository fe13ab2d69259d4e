export * from './model.js';
export { loadDomain, loadDomainFromFiles, type DomainSourceFile, type LoadDomainOptions } from './load-domain.js';
export { readDomainFileSync, type ReadDomainFileOptions } from './read-domain-file.js';
export {
  domainError,
  domainErrorsToJson,
  formatDomainError,
  formatDomainErrors,
  sortDomainErrors,
  type DomainError,
  type DomainErrorCode,
} from './domain-error.js';
export { ok, err, type Result } from './result.js';
export { lintDomain } from './lint/lint-domain.js';
export {
  countDiagnostics,
  diagnostic,
  formatDiagnostic,
  sortDiagnostics,
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticSeverity,
} from './lint/diagnostic.js';
export { DEFAULT_YAML_LIMITS, type YamlLimits } from './yaml/parse-yaml-file.js';
export { formatYamlPath, type PathSegment } from './yaml/yaml-path.js';
export {
  AGGREGATE_RESERVED_MEMBERS,
  IDENTIFIER,
  MAX_NAME_LENGTH,
  MAX_SQL_IDENTIFIER_LENGTH,
  OBJECT_KEY_RESERVED,
  SQL_RESERVED,
  TYPESCRIPT_RESERVED,
  sqlNameProblem,
  toSnakeCase,
  typescriptNameProblem,
} from './identifiers.js';
export { parseTypeExpression, typeText } from './analyze/type-expression.js';
export { resolveType, sameType } from './analyze/type-utils.js';
export { closestMatch, closestType, didYouMean, TYPE_ALIASES } from './suggest.js';
