import { domainError, type DomainError, type DomainErrorCode } from '../domain-error.js';
import {
  AGGREGATE_RESERVED_MEMBERS,
  MAX_NAME_LENGTH,
  MAX_SQL_IDENTIFIER_LENGTH,
  TYPESCRIPT_GLOBALS,
  displayName,
  sqlNameProblem,
  typescriptNameProblem,
} from '../identifiers.js';
import type { EventNode, SourceLocation, TypeNode } from '../model.js';
import type { ParsedYamlFile } from '../yaml/parse-yaml-file.js';
import type { PathSegment } from '../yaml/yaml-path.js';

/** What the builders know about the whole domain while building one entity. */
export interface DomainScope {
  /** Every declared type name, including types that failed validation. */
  readonly typeNames: ReadonlySet<string>;
  /** The built named types. */
  readonly types: ReadonlyMap<string, TypeNode>;
  /** Every declared event name, including events that failed validation. */
  readonly eventNames: ReadonlySet<string>;
  /** The built events. */
  readonly events: ReadonlyMap<string, EventNode>;
  /** Old event type name → current name. */
  readonly renamedEvents: ReadonlyMap<string, string>;
  /**
   * Names declared more than once (reported as DOMAIN.DUPLICATE_NAME; only the first declaration is
   * built). A use of one that does not fit the first declaration is not reported again.
   */
  readonly duplicateNames: ReadonlySet<string>;
}

/**
 * The YAML paths that failed JSON Schema validation. Builders skip those parts (the error is
 * already reported) instead of building from data of the wrong shape.
 */
export class PoisonedPaths {
  readonly #exact = new Set<string>();
  readonly #prefixes = new Set<string>();

  add(file: string, path: readonly PathSegment[]): void {
    this.#exact.add(PoisonedPaths.#key(file, path));
    for (let i = 0; i <= path.length; i++) this.#prefixes.add(PoisonedPaths.#key(file, path.slice(0, i)));
  }

  /** A violation is exactly at `path`. */
  at(file: string, path: readonly PathSegment[]): boolean {
    return this.#exact.has(PoisonedPaths.#key(file, path));
  }

  /** A violation is at `path` or anywhere below it. */
  within(file: string, path: readonly PathSegment[]): boolean {
    return this.#prefixes.has(PoisonedPaths.#key(file, path));
  }

  static #key(file: string, path: readonly PathSegment[]): string {
    return [file, ...path.map(String)].join('\u0000');
  }
}

/** Collects the errors of building one entity of one file. */
export class BuildContext {
  readonly errors: DomainError[] = [];
  constructor(
    readonly file: ParsedYamlFile,
    readonly scope: DomainScope,
    readonly poisoned: PoisonedPaths = new PoisonedPaths(),
  ) {}

  /** Whether the part at `path` (or below it) failed schema validation. */
  isPoisoned(path: readonly PathSegment[]): boolean {
    return this.poisoned.within(this.file.path, path);
  }

  /** Location of the node at `path` (its key by default: the line that names the thing). */
  at(path: readonly PathSegment[], target: 'key' | 'value' = 'key'): SourceLocation {
    return this.file.locate(path, target);
  }

  report(
    code: DomainErrorCode,
    message: string,
    fix: string,
    where: SourceLocation,
    related?: readonly SourceLocation[],
  ): void {
    this.errors.push(domainError(code, message, fix, where, related));
  }

  /** Reports a name that cannot become a TypeScript identifier. Returns false when reported. */
  checkTsName(name: string, what: string, path: readonly PathSegment[], target: 'key' | 'value' = 'key'): boolean {
    const problem = typescriptNameProblem(name);
    return problem === undefined || this.#reportName(problem, TYPESCRIPT_NAMES, name, what, this.at(path, target));
  }

  /** Like {@link checkTsName}, for names declared at module level in generated code (no globals either). */
  checkTopLevelName(name: string, what: string, path: readonly PathSegment[]): boolean {
    if (!this.checkTsName(name, what, path)) return false;
    if (!TYPESCRIPT_GLOBALS.has(name)) return true;
    this.report(
      'NAME.RESERVED',
      `${what} "${name}" would shadow the global "${name}" in generated code.`,
      `Choose a more specific name, e.g. "${name}Value" or a domain word.`,
      this.at(path),
    );
    return false;
  }

  /** Reports why `name` cannot be a name of the language `names` describes. Returns false. */
  #reportName(problem: NameProblem, names: NameRules, name: string, what: string, where: SourceLocation): false {
    const shown = displayName(name);
    const instead = (base: string) => `Choose another name, e.g. "${names.suggest(base)}" or a more specific word.`;
    if (problem === 'invalid') {
      this.report('NAME.INVALID', `${what} ${shown} is not a valid ${names.identifier}.`, names.invalidFix, where);
    } else if (problem === 'reserved') {
      const base = names.reservedBase(name);
      this.report('NAME.RESERVED', `${what} ${shown} is a reserved word in ${names.language}.`, instead(base), where);
    } else if (problem === 'object-key') {
      this.report('NAME.RESERVED', objectKeyMessage(what, name), instead(name.replace(/^_+|_+$/g, '')), where);
    } else {
      const message = `${what} ${shown} is longer than ${names.maxLength} characters.`;
      this.report('NAME.TOO_LONG', message, names.tooLongFix, where);
    }
    return false;
  }

  /** Reports a name that cannot be a SQL identifier. Returns false when reported. */
  checkSqlName(name: string, what: string, path: readonly PathSegment[], target: 'key' | 'value' = 'key'): boolean {
    const problem = sqlNameProblem(name);
    return problem === undefined || this.#reportName(problem, SQL_NAMES, name, what, this.at(path, target));
  }

  /** Reports a command name that would shadow an `AggregateRoot` member. */
  checkCommandName(name: string, path: readonly PathSegment[]): boolean {
    if (!this.checkTsName(name, 'Command', path)) return false;
    if (!AGGREGATE_RESERVED_MEMBERS.has(name)) return true;
    this.report(
      'AGGREGATE.RESERVED_MEMBER',
      `Command "${name}" would replace the aggregate's own "${name}" member.`,
      `Rename the command, e.g. "${name}Command" or a verb that names the intent.`,
      this.at(path),
    );
    return false;
  }
}

type NameProblem = NonNullable<ReturnType<typeof typescriptNameProblem | typeof sqlNameProblem>>;

/** What the name errors say for one language. */
interface NameRules {
  /** What a valid name is called: "identifier", "SQL identifier". */
  readonly identifier: string;
  readonly language: string;
  readonly invalidFix: string;
  /** The name a fix suggests instead of `base`. */
  readonly suggest: (base: string) => string;
  /** The `base` of the suggestion for a reserved word. */
  readonly reservedBase: (name: string) => string;
  readonly maxLength: number;
  readonly tooLongFix: string;
}

const TYPESCRIPT_NAMES: NameRules = {
  identifier: 'identifier',
  language: 'TypeScript',
  invalidFix: 'Use letters, digits and "_" only, not starting with a digit.',
  suggest: (base) => `${base}Value`,
  reservedBase: (name) => name,
  maxLength: MAX_NAME_LENGTH,
  tooLongFix: `Shorten it to at most ${MAX_NAME_LENGTH} characters: names become identifiers and file names in generated code.`,
};

const SQL_NAMES: NameRules = {
  identifier: 'SQL identifier',
  language: 'SQL',
  invalidFix: 'Use letters, digits and "_" only, not starting with a digit (snake_case is conventional).',
  suggest: (base) => `${base}_value`,
  reservedBase: (name) => name.toLowerCase(),
  maxLength: MAX_SQL_IDENTIFIER_LENGTH,
  tooLongFix: 'Shorten it; PostgreSQL truncates longer names silently.',
};

function objectKeyMessage(what: string, name: string): string {
  return name === '__proto__'
    ? `${what} "${name}" cannot be used: as an object key it would set the object's prototype instead of a property.`
    : `${what} "${name}" cannot be used: "${name}" has a special meaning on JavaScript objects and classes, so it cannot be a plain object key.`;
}
