import { BuildContext, PoisonedPaths, type DomainScope } from './analyze/build-context.js';
import { BuildMemo } from './analyze/build-memo.js';
import { collectDeclarations, scopeOf, type Declared } from './analyze/collect-declarations.js';
import { buildAggregate } from './analyze/build-aggregate.js';
import { buildEvent } from './analyze/build-event.js';
import { buildProjection } from './analyze/build-projection.js';
import { buildReaction } from './analyze/build-reaction.js';
import { buildNamedType, findTypeCycles } from './analyze/build-types.js';
import { domainError, sortDomainErrors, type DomainError } from './domain-error.js';
import { MAX_NAME_LENGTH, displayName, typescriptNameProblem } from './identifiers.js';
import {
  DomainModel,
  SourceFileNode,
  type AggregateNode,
  type EventNode,
  type ProjectionNode,
  type ReactionNode,
  type SourceLocation,
  type TypeNode,
} from './model.js';
import { readDomainFileSync } from './read-domain-file.js';
import { err, ok, type Result } from './result.js';
import { DEFAULT_YAML_LIMITS, type ParsedYamlFile, type YamlLimits } from './yaml/parse-yaml-file.js';
import type { PathSegment } from './yaml/yaml-path.js';
import { parseAndValidate } from './validate/parse-and-validate.js';

/** One domain YAML file: its path (as it should appear in messages) and its text. */
export interface DomainSourceFile {
  readonly path: string;
  readonly text: string;
}

export interface LoadDomainOptions {
  /** Overrides for the size, depth and alias limits. */
  readonly limits?: Partial<YamlLimits>;
}

/**
 * Loads a domain from the text of its YAML files: parses them keeping source positions,
 * validates them against `domain.schema.json`, merges them by name and runs the semantic
 * checks. Pure (no disk access) and never throws: every problem comes back as a located
 * {@link DomainError}, all of them in one run.
 *
 * @example
 * ```ts
 * const result = loadDomain([{ path: 'domain/bank.yaml', text: await readFile('domain/bank.yaml', 'utf8') }]);
 * if (!result.ok) {
 *   console.error(formatDomainErrors(result.errors));
 *   process.exitCode = 1;
 * } else {
 *   console.log(result.value.events.map((e) => `${e.name} v${e.version}`));
 * }
 * ```
 */
export function loadDomain(
  files: readonly DomainSourceFile[],
  options: LoadDomainOptions = {},
): Result<DomainModel, readonly DomainError[]> {
  try {
    return new DomainLoader({ ...DEFAULT_YAML_LIMITS, ...options.limits }).load(files);
  } catch (error) {
    return err([
      domainError(
        'LOADER.INTERNAL',
        `The loader failed unexpectedly: ${error instanceof Error ? error.message : String(error)}.`,
        'This is a bug in eventsmith; please report it together with the YAML that caused it.',
        { file: files[0]?.path ?? '', line: 1, col: 1, path: '' },
      ),
    ]);
  }
}

/**
 * Reads the files from disk, then {@link loadDomain}s them. Unreadable files become `FILE.READ` errors,
 * and paths that are not regular files (a FIFO, a folder) `FILE.NOT_REGULAR` errors; neither blocks.
 *
 * @example
 * ```ts
 * const result = await loadDomainFromFiles(['examples/bank/domain/bank-account.yaml', 'examples/bank/domain/account-summary.yaml']);
 * ```
 */
export async function loadDomainFromFiles(
  paths: readonly string[],
  options: LoadDomainOptions = {},
): Promise<Result<DomainModel, readonly DomainError[]>> {
  const limits = { ...DEFAULT_YAML_LIMITS, ...options.limits };
  const files: DomainSourceFile[] = [];
  const errors: DomainError[] = [];
  for (const path of paths) {
    const read = readDomainFileSync(path, { maxFileSize: limits.maxFileSize });
    if (read.ok) files.push({ path, text: read.value });
    else errors.push(read.errors);
  }
  if (errors.length > 0) {
    const rest = files.length > 0 ? loadDomain(files, options) : undefined;
    return err(sortDomainErrors([...errors, ...(rest && !rest.ok ? rest.errors : [])]));
  }
  return loadDomain(files, options);
}

// ---------------------------------------------------------------------------------------------

/**
 * Built entities of earlier loads in this process, reused while their file and everything they
 * looked up are unchanged: `generate --watch` rebuilds only what an edit can affect.
 */
const buildMemo = new BuildMemo();

class DomainLoader {
  readonly #errors: DomainError[] = [];
  constructor(readonly limits: YamlLimits) {}

  load(sources: readonly DomainSourceFile[]): Result<DomainModel, readonly DomainError[]> {
    if (sources.length === 0) {
      return err([
        domainError(
          'FILE.NONE',
          'No domain files were given.',
          'Name at least one YAML file in the eventsmith config (`domain:` inputs).',
          { file: '', line: 1, col: 1, path: '' },
        ),
      ]);
    }
    const parsed: ParsedYamlFile[] = [];
    let structural = false; // a problem that makes cross-file checks unreliable
    const poisoned = new PoisonedPaths();
    for (const source of sources) {
      const { file, errors, violations } = parseAndValidate(source, this.limits);
      this.#errors.push(...errors);
      if (!file) {
        structural = true;
        continue;
      }
      if (typeof file.value !== 'object' || file.value === null || Array.isArray(file.value)) {
        this.#errors.push(
          domainError(
            'YAML.NOT_A_MAP',
            file.value === null || file.value === undefined ? 'The file is empty.' : 'The file is not a YAML map.',
            'A domain file is a map that starts with `domain: <Name>`; see schema/FORMAT.md.',
            file.locate([]),
          ),
        );
        structural = true;
        continue;
      }
      for (const violation of violations) {
        this.#errors.push(violation.error);
        if (entityKey(violation.path) === undefined) structural = true;
        else poisoned.add(file.path, violation.path);
      }
      parsed.push(file);
    }
    if (structural) return err(sortDomainErrors(this.#errors));

    const domainName = this.#domainName(parsed);
    const declared = collectDeclarations(parsed, this.#errors);
    const scope = scopeOf(declared);
    // Types and events with any schema error are left out; aggregates and projections only when
    // the error is on the entity itself (their builders skip the invalid parts).
    const usable = declared.filter((d) => {
      if (d.duplicate) return false;
      const whole = d.section === 'types' || d.section === 'events' || d.section === 'reactions';
      return whole ? !poisoned.within(d.file.path, d.path) : !poisoned.at(d.file.path, d.path);
    });

    // Types first (twice, so that defaults can see every other type), then events, aggregates, projections.
    // The first declaration of a name owns it, as it is the one built (a later one is a duplicate).
    const owners = new Map(
      declared.filter((d) => d.section === 'events' && !d.duplicate).map((d) => [d.name, d.aggregate!]),
    );
    const build = <T>(
      d: Declared,
      pass: string,
      s: DomainScope,
      fn: (ctx: BuildContext, owners: ReadonlyMap<string, string>) => T | undefined,
    ) =>
      buildMemo.build(d.file, `${pass}\u0000${d.path.join('\u0000')}`, { scope: s, owners }, (inputs) => {
        const ctx = new BuildContext(d.file, inputs.scope, poisoned);
        return { node: fn(ctx, inputs.owners), errors: ctx.errors };
      });
    const buildTypes = (s: DomainScope, pass: 'draft' | 'final') => {
      const map = new Map<string, TypeNode>();
      for (const d of usable.filter((x) => x.section === 'types')) {
        const { node, errors } = build(d, `types:${pass}`, s, (ctx) => buildNamedType(ctx, d.name, d.raw));
        if (pass === 'final') this.#errors.push(...errors);
        if (node) map.set(d.name, node);
      }
      return map;
    };
    const types = buildTypes({ ...scope, types: buildTypes(scope, 'draft') }, 'final');
    for (const cycle of findTypeCycles(types)) {
      const first = types.get(cycle[0]!)!;
      this.#errors.push(
        domainError(
          'TYPE.CYCLE',
          `Type "${cycle[0]}" contains itself: ${[...cycle, cycle[0]].join(' → ')}.`,
          'Break the cycle, e.g. by storing an id instead of the nested value.',
          first.source,
        ),
      );
    }
    const withTypes: DomainScope = { ...scope, types };

    const events = new Map<string, EventNode>();
    for (const d of usable.filter((x) => x.section === 'events')) {
      const { node, errors } = build(d, 'events', withTypes, (ctx) => buildEvent(ctx, d.aggregate!, d.name, d.raw));
      this.#errors.push(...errors);
      if (node) events.set(d.name, node);
    }
    const full: DomainScope = { ...withTypes, events };

    const aggregates: AggregateNode[] = [];
    const projections: ProjectionNode[] = [];
    for (const d of usable) {
      if (d.section === 'aggregates') {
        const { node, errors } = build(d, 'aggregates', full, (ctx, eventOwners) =>
          buildAggregate(ctx, d.name, d.raw, eventOwners),
        );
        this.#errors.push(...errors);
        if (node) aggregates.push(node);
      } else if (d.section === 'projections') {
        const { node, errors } = build(d, 'projections', full, (ctx) => buildProjection(ctx, d.name, d.raw));
        this.#errors.push(...errors);
        if (node) projections.push(node);
      }
    }
    this.#checkSqlNamesUnique(projections);

    // Reactions last: they refer to events and to the commands of built aggregates.
    const reactions: ReactionNode[] = [];
    const aggregatesByName = new Map(aggregates.map((a) => [a.name, a]));
    const declaredAggregates = new Set(declared.filter((d) => d.section === 'aggregates').map((d) => d.name));
    for (const d of usable.filter((x) => x.section === 'reactions')) {
      const ctx = new BuildContext(d.file, full, poisoned);
      const node = buildReaction(ctx, d.name, d.raw, aggregatesByName, declaredAggregates);
      this.#errors.push(...ctx.errors);
      if (node) reactions.push(node);
    }

    if (this.#errors.length > 0 || domainName === undefined) return err(sortDomainErrors(this.#errors));
    const byName = <T extends { name: string }>(list: Iterable<T>) =>
      [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const first = parsed[0]!;
    const model = DomainModel.create({
      name: domainName,
      description: parsed.map((f) => (f.value as { description?: string }).description).find((d) => d !== undefined),
      sources: parsed.map((f) => SourceFileNode.create({ path: f.path })),
      types: byName(types.values()),
      aggregates: byName(aggregates),
      events: byName(events.values()),
      projections: byName(projections),
      reactions: byName(reactions),
      source: first.locate(['domain']),
    });
    return ok(model);
  }

  #domainName(files: readonly ParsedYamlFile[]): string | undefined {
    let name: string | undefined;
    let firstAt: SourceLocation | undefined;
    for (const file of files) {
      const value = (file.value as { domain?: unknown }).domain;
      if (typeof value !== 'string') continue;
      const at = file.locate(['domain']);
      if (name === undefined) {
        name = value;
        firstAt = at;
        const problem = typescriptNameProblem(value);
        if (problem === 'too-long') {
          this.#errors.push(
            domainError(
              'NAME.TOO_LONG',
              `Domain name ${displayName(value)} is longer than ${MAX_NAME_LENGTH} characters.`,
              `Shorten it to at most ${MAX_NAME_LENGTH} characters.`,
              at,
            ),
          );
        } else if (problem) {
          this.#errors.push(
            domainError(
              'NAME.RESERVED',
              `Domain name ${displayName(value)} cannot be used as a TypeScript identifier.`,
              'Choose another domain name, e.g. in PascalCase.',
              at,
            ),
          );
        }
      } else if (value !== name) {
        this.#errors.push(
          domainError(
            'DOMAIN.NAME_MISMATCH',
            `This file belongs to domain "${value}", but the other files belong to "${name}".`,
            `Write \`domain: ${name}\`; all files of one domain share its name.`,
            at,
            firstAt ? [firstAt] : [],
          ),
        );
      }
    }
    return name;
  }

  #checkSqlNamesUnique(projections: readonly ProjectionNode[]): void {
    const tables = new Map<string, SourceLocation>();
    const indexes = new Map<string, SourceLocation>();
    for (const p of projections) {
      const table = p.table.toLowerCase();
      const earlier = tables.get(table);
      if (earlier)
        this.#errors.push(
          domainError(
            'DOMAIN.DUPLICATE_NAME',
            `Table "${p.table}" is already used by another projection.`,
            'Give each projection its own `table:`.',
            p.source,
            [earlier],
          ),
        );
      else tables.set(table, p.source);
      for (const index of p.indexes) {
        const key = index.name.toLowerCase();
        const previous = indexes.get(key) ?? (tables.has(key) ? tables.get(key) : undefined);
        if (previous)
          this.#errors.push(
            domainError(
              'DOMAIN.DUPLICATE_NAME',
              `Index name "${index.name}" is already used.`,
              'Index names share one namespace per database schema; give this index another `name:`.',
              index.source,
              [previous],
            ),
          );
        else indexes.set(key, index.source);
      }
    }
  }
}

/** The entity a schema violation belongs to (`events:AccountOpened`), or undefined for file-level problems. */
function entityKey(path: readonly PathSegment[]): string | undefined {
  const [section, name, sub, subName] = path;
  if (typeof name !== 'string') return undefined;
  if (section === 'aggregates' && sub === 'events' && typeof subName === 'string') return `events:${subName}`;
  if (section === 'types' || section === 'aggregates' || section === 'projections' || section === 'reactions')
    return `${section}:${name}`;
  return undefined;
}
