/** What a name from YAML must look like: letters, digits and `_`, not starting with a digit. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Longest SQL identifier accepted (PostgreSQL truncates at 63 bytes; MySQL allows 64). */
export const MAX_SQL_IDENTIFIER_LENGTH = 63;

/**
 * Longest name accepted for anything that becomes a TypeScript identifier, an object key or a
 * file name (types, aggregates, events, projections, commands, fields). A name becomes a file name
 * in kebab-case (up to 1.5 times longer) plus a suffix such as `-v1-to-v2.unit.test.ts`, and
 * 80 characters keep that well under the 255-byte file name limit of common file systems.
 */
export const MAX_NAME_LENGTH = 80;

/**
 * Names that mean something special as a JavaScript object key: `{ __proto__: x }` sets the
 * object's prototype instead of a property, and `constructor` / `prototype` are found on every
 * object through its prototype. Refused wherever a name from YAML becomes an object key.
 */
export const OBJECT_KEY_RESERVED: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Words that cannot name a TypeScript binding, class or type: the ECMAScript reserved words,
 * the strict-mode ones, `arguments`/`eval`, and TypeScript's predefined type names.
 */
export const TYPESCRIPT_RESERVED: ReadonlySet<string> = new Set([
  'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else',
  'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof',
  'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void',
  'while', 'with', 'implements', 'interface', 'let', 'package', 'private', 'protected', 'public', 'static',
  'yield', 'await', 'arguments', 'eval', 'any', 'unknown', 'never', 'undefined', 'string', 'number',
  'boolean', 'bigint', 'symbol', 'object',
]);

/**
 * Words reserved in at least one supported SQL dialect (PostgreSQL, MySQL/MariaDB, SQLite) or in
 * SQL:2016 core, compared case-insensitively. Kysely quotes every identifier anyway; refusing these
 * keeps hand-written SQL against the tables painless.
 */
export const SQL_RESERVED: ReadonlySet<string> = new Set([
  'abort', 'add', 'all', 'alter', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric',
  'autoincrement', 'before', 'between', 'bigint', 'binary', 'blob', 'both', 'by', 'call', 'cascade', 'case',
  'cast', 'change', 'char', 'character', 'check', 'collate', 'column', 'commit', 'condition', 'constraint',
  'continue', 'convert', 'create', 'cross', 'current', 'current_catalog', 'current_date', 'current_role',
  'current_schema', 'current_time', 'current_timestamp', 'current_user', 'cursor', 'database', 'databases',
  'dec', 'decimal', 'declare', 'default', 'deferrable', 'delayed', 'delete', 'desc', 'describe',
  'distinct', 'div', 'do', 'double', 'drop', 'each', 'else', 'elseif', 'end', 'escape', 'except',
  'exclusive', 'exists', 'exit', 'explain', 'false', 'fetch', 'float', 'for', 'force', 'foreign', 'freeze',
  'from', 'full', 'fulltext', 'function', 'generated', 'glob', 'grant', 'group', 'groups', 'having', 'if',
  'ignore', 'ilike', 'in', 'index', 'initially', 'inner', 'inout', 'insert', 'int', 'integer',
  'intersect', 'interval', 'into', 'is', 'isnull', 'join', 'key', 'keys', 'kill', 'lateral', 'leading',
  'leave', 'left', 'like', 'limit', 'lines', 'load', 'localtime', 'localtimestamp', 'lock', 'long',
  'loop', 'match', 'merge', 'mod', 'natural', 'no', 'not', 'notnull', 'null', 'numeric', 'of', 'offset',
  'on', 'only', 'optimize', 'option', 'or', 'order', 'out', 'outer', 'over', 'overlaps', 'partition',
  'placing', 'pragma', 'precision', 'primary', 'procedure', 'purge', 'raise', 'range', 'read', 'real',
  'recursive', 'references', 'regexp', 'reindex', 'release', 'rename', 'repeat', 'replace', 'require',
  'restrict', 'return', 'returning', 'revoke', 'right', 'rlike', 'row', 'rows', 'schema', 'schemas',
  'select', 'session_user', 'set', 'show', 'similar', 'smallint', 'some', 'spatial', 'sql', 'ssl',
  'symmetric', 'system_user', 'table', 'tablesample', 'temp', 'temporary', 'then', 'to', 'trailing',
  'transaction', 'trigger', 'true', 'undo', 'union', 'unique', 'unlock', 'unsigned', 'update', 'usage',
  'use', 'user', 'using', 'vacuum', 'values', 'varchar', 'variadic', 'verbose', 'view', 'virtual', 'when',
  'where', 'while', 'window', 'with', 'within', 'write', 'xor', 'zerofill',
]);

/**
 * Global names that a generated module would shadow if a type, aggregate, event or projection
 * took them (`class Date …` breaks every `new Date()` in the file).
 */
export const TYPESCRIPT_GLOBALS: ReadonlySet<string> = new Set([
  'Array', 'ArrayBuffer', 'Awaited', 'BigInt', 'Boolean', 'DataView', 'Date', 'Error', 'EvalError', 'Exclude',
  'Extract', 'Function', 'Infinity', 'InstanceType', 'Intl', 'Iterable', 'Iterator', 'JSON', 'Map', 'Math',
  'NaN', 'NonNullable', 'Number', 'Object', 'Omit', 'Parameters', 'Partial', 'Pick', 'Promise', 'Proxy',
  'RangeError', 'Readonly', 'ReadonlyArray', 'Record', 'ReferenceError', 'Reflect', 'RegExp', 'Required',
  'ReturnType', 'Set', 'String', 'Symbol', 'SyntaxError', 'TypeError', 'URIError', 'URL', 'WeakMap', 'WeakRef',
  'WeakSet', 'globalThis', 'console', 'process', 'Buffer',
]);

/**
 * Members of the runtime's `AggregateRoot` that a command method must not shadow.
 */
export const AGGREGATE_RESERVED_MEMBERS: ReadonlySet<string> = new Set([
  'constructor', 'id', 'aggregateType', 'version', 'state', 'uncommittedEvents', 'raise', 'loadFromHistory',
  'replay', 'markCommitted', 'snapshotState', 'restoreSnapshot', 'initialState', 'stateVersion',
  'unhandledEvents', 'stateSchema', 'toString', 'valueOf', 'hasOwnProperty', '__proto__',
]);

/** Why `name` cannot be used as a TypeScript identifier, or undefined when it can. */
export function typescriptNameProblem(name: string): 'invalid' | 'reserved' | 'object-key' | 'too-long' | undefined {
  if (!IDENTIFIER.test(name)) return 'invalid';
  if (TYPESCRIPT_RESERVED.has(name)) return 'reserved';
  if (OBJECT_KEY_RESERVED.has(name)) return 'object-key';
  if (name.length > MAX_NAME_LENGTH) return 'too-long';
  return undefined;
}

/** Why `name` cannot be used as a SQL identifier (a column name is also a row object's key), or undefined when it can. */
export function sqlNameProblem(name: string): 'invalid' | 'reserved' | 'object-key' | 'too-long' | undefined {
  if (!IDENTIFIER.test(name)) return 'invalid';
  if (SQL_RESERVED.has(name.toLowerCase())) return 'reserved';
  if (OBJECT_KEY_RESERVED.has(name)) return 'object-key';
  if (name.length > MAX_SQL_IDENTIFIER_LENGTH) return 'too-long'; // ASCII only, so length = bytes
  return undefined;
}

/** A name as messages show it: a very long one is cut (`"AAAA…" (10000 characters)`), so one typo cannot flood a log. */
export function displayName(name: string): string {
  return name.length > 40 ? `"${name.slice(0, 32)}…" (${name.length} characters)` : `"${name}"`;
}

/** `AccountSummary` → `account_summary`, `HTTPRequestLog` → `http_request_log`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}
