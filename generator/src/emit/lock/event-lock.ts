import {
  SCALAR_TYPES,
  type DomainModel,
  type FieldNode,
  type FieldType,
  type JsonValue,
  type ScalarTypeName,
  type TypeNode,
} from '@eventsmith/schema';
import { byString } from '../common/naming.js';

/**
 * What `<output>/events.lock.json` holds: the shape of every event version `eventsmith generate`
 * has emitted. A version recorded in the committed lock is published (stored, sent on the bus);
 * the next run compares the YAML with it and refuses an in-place change that would break stored
 * events or older consumers (see `checkEventLock`). One recorded since the last commit is a draft
 * (see `lockErrors` in generate-project.ts).
 */
export interface EventLock {
  readonly domain: string;
  /** By event type name. */
  readonly events: Readonly<Record<string, LockedEvent>>;
}

export interface LockedEvent {
  readonly aggregate: string;
  /** Former type names (`renamedFrom`): stored events may still carry them. */
  readonly renamedFrom: readonly string[];
  /** `retired: true`: kept readable, no longer raised. */
  readonly retired: boolean;
  /** By version number ("1", "2", …). */
  readonly versions: Readonly<Record<string, LockedVersion>>;
}

export interface LockedVersion {
  readonly fields: Readonly<Record<string, LockedField>>;
}

/** A type with named types resolved: enums by their (sorted) values, value objects by their fields. */
export type LockedType =
  | { readonly type: ScalarTypeName }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'list'; readonly items: LockedType }
  | { readonly type: 'object'; readonly fields: Readonly<Record<string, LockedField>> };

/** A field: its type, and `optional` / `default` when it has them. */
export type LockedField = LockedType & { readonly optional?: true; readonly default?: JsonValue };

/** The lock of a model: every event with every version (current and history). */
export function eventLockOf(model: DomainModel): EventLock {
  const types = new Map(model.types.map((t) => [t.name, t]));
  const events: Record<string, LockedEvent> = {};
  for (const event of [...model.events].sort((a, b) => byString(a.name, b.name))) {
    const versions: Record<string, LockedVersion> = {};
    for (const h of event.history) versions[String(h.version)] = { fields: lockedFields(h.fields, types) };
    versions[String(event.version)] = { fields: lockedFields(event.fields, types) };
    events[event.name] = {
      aggregate: event.aggregate,
      renamedFrom: [...event.renamedFrom].sort(byString),
      retired: event.retired === true,
      versions,
    };
  }
  return { domain: model.name, events };
}

/** Fields keyed by name, sorted: field order is not part of a payload's shape. */
export function lockedFields(
  fields: readonly FieldNode[],
  types: ReadonlyMap<string, TypeNode>,
  depth = 0,
): Record<string, LockedField> {
  const out: Record<string, LockedField> = {};
  for (const f of [...fields].sort((a, b) => byString(a.name, b.name))) {
    out[f.name] = {
      ...lockedType(f.type, types, depth),
      ...(f.optional ? { optional: true as const } : {}),
      ...(f.default !== undefined ? { default: f.default } : {}),
    };
  }
  return out;
}

/** A field type with references resolved (the loader refuses cyclic value objects; the depth guard is a backstop). */
export function lockedType(type: FieldType, types: ReadonlyMap<string, TypeNode>, depth = 0): LockedType {
  if (depth > 32) return { type: 'object', fields: {} };
  switch (type.kind) {
    case 'ScalarType':
      return { type: type.name };
    case 'EnumType':
      return { type: 'enum', values: [...type.values].sort(byString) };
    case 'ListType':
      return { type: 'list', items: lockedType(type.items, types, depth + 1) };
    case 'ObjectType':
      return { type: 'object', fields: lockedFields(type.fields, types, depth + 1) };
    case 'RefType': {
      const named = types.get(type.name);
      if (!named) return { type: 'object', fields: {} };
      return named.kind === 'EnumNode'
        ? { type: 'enum', values: [...named.values].sort(byString) }
        : { type: 'object', fields: lockedFields(named.fields, types, depth + 1) };
    }
  }
}

/** The lock file's text: sorted keys, LF, newline-terminated, laid out as `JSON.stringify(lock, null, 2)` does. */
export function serializeEventLock(lock: EventLock, sources: readonly string[]): string {
  const events: Record<string, unknown> = {};
  for (const name of Object.keys(lock.events).sort(byString)) {
    const e = lock.events[name]!;
    const versions: Record<string, unknown> = {};
    for (const v of Object.keys(e.versions).sort((a, b) => Number(a) - Number(b)))
      versions[v] = { fields: sortedFields(e.versions[v]!.fields) };
    events[name] = {
      aggregate: e.aggregate,
      ...(e.renamedFrom.length ? { renamedFrom: [...e.renamedFrom].sort(byString) } : {}),
      ...(e.retired ? { retired: true } : {}),
      versions,
    };
  }
  return json({
    $comment: `@generated by eventsmith from ${sources.join(', ')}. Commit it, do not edit it: the shape of every event version generated so far. A version in the committed lock is published, and \`eventsmith generate\` refuses to change it in place (EVENT.BREAKING_CHANGE); one recorded since the last commit is a draft the YAML may still change; \`eventsmith check --against <ref>\` compares the YAML with this file at another revision.`,
    domain: lock.domain,
    events,
  });
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function sortedFields(fields: Readonly<Record<string, LockedField>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(fields).sort(byString)) out[name] = sortedType(fields[name]!);
  return out;
}

function sortedType(t: LockedField | LockedType): Record<string, unknown> {
  const extra = {
    ...('optional' in t && t.optional ? { optional: true } : {}),
    ...('default' in t && t.default !== undefined ? { default: t.default } : {}),
  };
  switch (t.type) {
    case 'enum':
      return { type: 'enum', values: [...t.values].sort(byString), ...extra };
    case 'list':
      return { type: 'list', items: sortedType(t.items), ...extra };
    case 'object':
      return { type: 'object', fields: sortedFields(t.fields), ...extra };
    default:
      return { type: t.type, ...extra };
  }
}

/** Thrown for a lock file that is not what the generator wrote. */
export class EventLockFormatError extends Error {
  constructor(readonly reason: string) {
    super(`The event lock is not valid: ${reason}.`);
  }
}

/** Parses and checks a lock file's text (from disk, or from another revision via git). */
export function parseEventLock(text: string): EventLock {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, which need not be a lock at all.
    throw new EventLockFormatError('not JSON');
  }
  const doc = object(raw, 'the file');
  if (typeof doc['domain'] !== 'string') throw new EventLockFormatError('"domain" is not a string');
  const events: Record<string, LockedEvent> = {};
  for (const [name, value] of Object.entries(object(doc['events'], '"events"'))) {
    const at = `events.${name}`;
    const e = object(value, at);
    if (typeof e['aggregate'] !== 'string') throw new EventLockFormatError(`${at}.aggregate is not a string`);
    const renamedFrom = e['renamedFrom'] === undefined ? [] : e['renamedFrom'];
    if (!Array.isArray(renamedFrom) || !renamedFrom.every((n) => typeof n === 'string'))
      throw new EventLockFormatError(`${at}.renamedFrom is not a list of names`);
    const versions: Record<string, LockedVersion> = {};
    for (const [v, shape] of Object.entries(object(e['versions'], `${at}.versions`))) {
      if (!/^[1-9][0-9]*$/.test(v))
        throw new EventLockFormatError(`${at}.versions has a key "${v}" that is not a version number`);
      versions[v] = {
        fields: fieldsOf(object(shape, `${at}.versions.${v}`)['fields'], `${at}.versions.${v}.fields`, 0),
      };
    }
    events[name] = {
      aggregate: e['aggregate'],
      renamedFrom: renamedFrom as string[],
      retired: e['retired'] === true,
      versions,
    };
  }
  return { domain: doc['domain'], events };
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new EventLockFormatError(`${at} is not an object`);
  return value as Record<string, unknown>;
}

function fieldsOf(value: unknown, at: string, depth: number): Record<string, LockedField> {
  const out: Record<string, LockedField> = {};
  for (const [name, field] of Object.entries(object(value, at))) {
    const f = object(field, `${at}.${name}`);
    out[name] = {
      ...typeOf(f, `${at}.${name}`, depth),
      ...(f['optional'] === true ? { optional: true as const } : {}),
      ...(f['default'] !== undefined ? { default: f['default'] as JsonValue } : {}),
    };
  }
  return out;
}

function typeOf(t: Record<string, unknown>, at: string, depth: number): LockedType {
  if (depth > 64) throw new EventLockFormatError(`${at} is nested too deeply`);
  const type = t['type'];
  if (type === 'enum') {
    const values = t['values'];
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string'))
      throw new EventLockFormatError(`${at}.values is not a list of strings`);
    return { type, values: values as string[] };
  }
  if (type === 'list') return { type, items: typeOf(object(t['items'], `${at}.items`), `${at}.items`, depth + 1) };
  if (type === 'object') return { type, fields: fieldsOf(t['fields'], `${at}.fields`, depth + 1) };
  if (typeof type === 'string' && (SCALAR_TYPES as readonly string[]).includes(type))
    return { type: type as ScalarTypeName };
  throw new EventLockFormatError(`${at}.type is not a field type`);
}
