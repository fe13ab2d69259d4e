import { domainError, type DomainError } from '../domain-error.js';
import type { SourceLocation } from '../model.js';
import type { ParsedYamlFile } from '../yaml/parse-yaml-file.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import type { DomainScope } from './build-context.js';
import { asMap, asNameList } from './build-fields.js';

/** A named entity found in one file, before it is built. */
export interface Declared {
  readonly name: string;
  readonly section: 'types' | 'aggregates' | 'events' | 'projections' | 'reactions';
  readonly file: ParsedYamlFile;
  readonly raw: unknown;
  readonly path: readonly PathSegment[];
  readonly where: SourceLocation;
  /** For events: the aggregate that declares them. */
  readonly aggregate?: string;
  /** Declared earlier under the same name (reported); left out of the build. */
  readonly duplicate: boolean;
}

/**
 * Finds every type, aggregate, event and projection across the files, reporting names declared
 * twice (also across files, and names differing only in case) and clashing former event names.
 */
export function collectDeclarations(files: readonly ParsedYamlFile[], errors: DomainError[]): Declared[] {
  const out: Declared[] = [];
  const seen = new Map<string, Omit<Declared, 'duplicate'>>();
  const seenLower = new Map<string, Omit<Declared, 'duplicate'>>();
  const declare = (d: Omit<Declared, 'duplicate'>) => {
    const previous = seen.get(d.name);
    const caseTwin = seenLower.get(d.name.toLowerCase());
    const clash = previous ?? caseTwin;
    if (clash) {
      const what = {
        types: 'a type',
        aggregates: 'an aggregate',
        events: 'an event',
        projections: 'a projection',
        reactions: 'a reaction',
      }[clash.section];
      errors.push(
        domainError(
          'DOMAIN.DUPLICATE_NAME',
          previous
            ? `"${d.name}" is already declared as ${what} (${clash.where.file}:${clash.where.line}).`
            : `"${d.name}" differs only in case from ${what} "${clash.name}" (${clash.where.file}:${clash.where.line}); generated file names would collide.`,
          'Names of types, aggregates, events, projections and reactions are shared across all files of a domain; rename one of them.',
          d.where,
          [clash.where],
        ),
      );
    } else {
      seen.set(d.name, d);
      seenLower.set(d.name.toLowerCase(), d);
    }
    out.push({ ...d, duplicate: clash !== undefined });
  };
  for (const file of files) {
    const doc = file.value as Record<string, unknown>;
    for (const section of ['types', 'aggregates', 'projections', 'reactions'] as const) {
      for (const [name, raw] of Object.entries(asMap(doc[section]))) {
        declare({ name, section, file, raw, path: [section, name], where: file.locate([section, name], 'key') });
        if (section !== 'aggregates') continue;
        for (const [event, rawEvent] of Object.entries(asMap(asMap(raw).events))) {
          const path = [section, name, 'events', event];
          declare({
            name: event,
            section: 'events',
            file,
            raw: rawEvent,
            path,
            where: file.locate(path, 'key'),
            aggregate: name,
          });
        }
      }
    }
  }
  // Former event names must not collide with current names or with each other.
  const formerAt = new Map<string, SourceLocation>();
  for (const d of out.filter((x) => x.section === 'events' && !x.duplicate)) {
    const renamedFrom = asMap(d.raw).renamedFrom;
    for (const [i, old] of asNameList(renamedFrom).entries()) {
      const where = d.file.locate(
        Array.isArray(renamedFrom) ? [...d.path, 'renamedFrom', i] : [...d.path, 'renamedFrom'],
        'value',
      );
      const current = seen.get(old);
      const earlier = formerAt.get(old);
      if (current && old !== d.name) {
        errors.push(
          domainError(
            'DOMAIN.DUPLICATE_NAME',
            `"${old}" is listed as a former name of "${d.name}", but it is still declared.`,
            `Remove "${old}" from renamedFrom, or rename the declaration of "${old}".`,
            where,
            [current.where],
          ),
        );
      } else if (earlier) {
        errors.push(
          domainError(
            'DOMAIN.DUPLICATE_NAME',
            `"${old}" is already the former name of another event.`,
            'An old event type name can map to only one current event.',
            where,
            [earlier],
          ),
        );
      } else formerAt.set(old, where);
    }
  }
  return out;
}

/** The names every builder may refer to. */
export function scopeOf(declared: readonly Declared[]): DomainScope {
  const renamedEvents = new Map<string, string>();
  for (const d of declared.filter((x) => x.section === 'events')) {
    for (const old of asNameList(asMap(d.raw).renamedFrom)) if (!renamedEvents.has(old)) renamedEvents.set(old, d.name);
  }
  return {
    typeNames: new Set(declared.filter((d) => d.section === 'types').map((d) => d.name)),
    types: new Map(),
    eventNames: new Set(declared.filter((d) => d.section === 'events').map((d) => d.name)),
    events: new Map(),
    renamedEvents,
    duplicateNames: new Set(declared.filter((d) => d.duplicate).map((d) => d.name)),
  };
}
