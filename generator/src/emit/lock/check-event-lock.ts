import {
  domainError,
  type DomainError,
  type DomainModel,
  type EventNode,
  type FieldNode,
  type FieldType,
  type SourceLocation,
  type TypeNode,
} from '@eventsmith/schema';
import { byString } from '../common/naming.js';
import { lockedType, type EventLock, type LockedEvent, type LockedField, type LockedType } from './event-lock.js';

/** How a change affects one kind of reader. */
export type Impact = 'compatible' | 'breaking';

/**
 * One difference between the lock and the YAML. `stored`: can today's code still read events
 * stored under the recorded shape? `consumers`: can an older consumer (code built from the
 * recorded shape, e.g. behind the bus) still read events written under today's shape?
 */
export interface LockChange {
  readonly event: string;
  /** The version concerned, when the change is inside one. */
  readonly version?: number;
  /** What changed, for people: `field "amount" changed type from integer to decimal`. */
  readonly what: string;
  readonly stored: Impact;
  readonly consumers: Impact;
  /** `in-place`: a recorded version edited; `declared`: a new version, rename or retirement. */
  readonly kind: 'in-place' | 'declared';
  readonly where: SourceLocation;
  /** How to fix it, when the version-based fix does not apply. */
  readonly fix?: string;
}

export interface CheckEventLockOptions {
  /** How to name the lock in messages, e.g. `generated/bank/events.lock.json` or `main:generated/bank/events.lock.json`. */
  readonly lockName: string;
  /**
   * The lock is the one `generate` last wrote in this checkout and git has no committed lock to hold
   * the YAML to instead (outside git, or the lock not committed): the fix then also says how to start
   * the lock afresh when nothing left the machine, and that committing the lock makes later drafts free.
   */
  readonly local?: boolean;
}

/**
 * The breaking changes between a lock and a model, as `EVENT.BREAKING_CHANGE` errors at the YAML
 * line that made them, each with a fix. Pure: reads nothing but its arguments.
 *
 * @example
 * ```ts
 * const errors = checkEventLock(parseEventLock(text), model, { lockName: 'generated/bank/events.lock.json' });
 * ```
 */
export function checkEventLock(lock: EventLock, model: DomainModel, options: CheckEventLockOptions): DomainError[] {
  return diffEventLock(lock, model)
    .filter((c) => c.stored === 'breaking' || c.consumers === 'breaking')
    .map((c) => {
      const unpublished = options.local
        ? ` If no version recorded in ${options.lockName} has left this machine (nothing committed or deployed), delete that file and run again: generate writes it anew from the YAML. In a git repository, commit the lock when you publish: generate then holds only the committed versions to their shape and lets you change what was recorded since.`
        : '';
      return domainError(
        'EVENT.BREAKING_CHANGE',
        messageOf(c, options.lockName),
        `${fixOf(c, model, lock)}${unpublished}`,
        c.where,
      );
    });
}

/** Every difference between a lock and a model, breaking or not, classified (see FORMAT.md, "Published events"). */
export function diffEventLock(lock: EventLock, model: DomainModel): LockChange[] {
  const types = new Map(model.types.map((t) => [t.name, t]));
  const byName = new Map(model.events.map((e) => [e.name, e]));
  const byFormerName = new Map(model.events.flatMap((e) => e.renamedFrom.map((old) => [old, e] as const)));
  const changes: LockChange[] = [];
  for (const name of Object.keys(lock.events).sort(byString)) {
    const locked = lock.events[name]!;
    const event = byName.get(name) ?? byFormerName.get(name);
    if (!event) {
      const aggregate = model.aggregates.find((a) => a.name === locked.aggregate);
      changes.push({
        event: name,
        what: `event "${name}" was deleted`,
        stored: 'breaking',
        consumers: 'compatible',
        kind: 'in-place',
        where: aggregate?.source ?? model.source,
      });
      continue;
    }
    changes.push(...diffEvent(name, locked, event, types));
  }
  return changes;
}

function diffEvent(
  name: string,
  locked: LockedEvent,
  event: EventNode,
  types: ReadonlyMap<string, TypeNode>,
): LockChange[] {
  const changes: LockChange[] = [];
  const add = (c: Omit<LockChange, 'event'>) => changes.push({ event: name, ...c });
  if (event.name !== name)
    add({
      what: `event "${name}" was renamed to "${event.name}" (renamedFrom)`,
      stored: 'compatible',
      consumers: 'compatible',
      kind: 'declared',
      where: event.source,
    });
  if (locked.aggregate !== event.aggregate) {
    add({
      what: `event "${name}" moved from aggregate ${locked.aggregate} to ${event.aggregate}`,
      stored: 'breaking',
      consumers: 'breaking',
      kind: 'in-place',
      where: event.source,
      fix: `Declare it under ${locked.aggregate} again (stored events of it are in ${locked.aggregate} streams); for ${event.aggregate}, declare a new event and retire this one (\`retired: true\`) if nothing raises it any more.`,
    });
  }
  const names = new Set([event.name, ...event.renamedFrom]);
  for (const old of locked.renamedFrom) {
    if (!names.has(old))
      add({
        what: `former name "${old}" was removed from renamedFrom`,
        stored: 'breaking',
        consumers: 'compatible',
        kind: 'in-place',
        where: event.source,
        fix: `Put "${old}" back in \`renamedFrom\`: events stored under that name are read through it.`,
      });
  }
  if (locked.retired !== event.retired)
    add({
      what: event.retired ? `event "${name}" was retired` : `event "${name}" is raised again (no longer retired)`,
      stored: 'compatible',
      consumers: 'compatible',
      kind: 'declared',
      where: event.source,
    });
  const recorded = Object.keys(locked.versions)
    .map(Number)
    .sort((a, b) => a - b);
  const highest = recorded[recorded.length - 1] ?? 0;
  if (event.version > highest && highest > 0)
    add({
      version: event.version,
      what: `version ${event.version} was added`,
      stored: 'compatible',
      consumers: 'compatible',
      kind: 'declared',
      where: event.source,
    });
  for (const v of recorded) {
    const shape = locked.versions[String(v)]!;
    if (v > event.version) {
      add({
        version: v,
        what: `version ${v} was published, but the event is now at version ${event.version}`,
        stored: 'breaking',
        consumers: 'compatible',
        kind: 'in-place',
        where: event.source,
      });
      continue;
    }
    const current = v === event.version;
    const history = event.history.find((h) => h.version === v);
    const fields = current ? event.fields : history?.fields;
    if (!fields) continue; // the loader refuses version gaps
    const where = current ? event.source : history!.source;
    for (const c of diffFields(shape.fields, fields, types, '', where)) add({ version: v, ...c, kind: 'in-place' });
  }
  return changes;
}

type FieldChange = Omit<LockChange, 'event' | 'version' | 'kind'>;

function diffFields(
  before: Readonly<Record<string, LockedField>>,
  after: readonly FieldNode[],
  types: ReadonlyMap<string, TypeNode>,
  prefix: string,
  parent: SourceLocation,
): FieldChange[] {
  const changes: FieldChange[] = [];
  const now = new Map(after.map((f) => [f.name, f]));
  for (const name of Object.keys(before).sort(byString)) {
    const was = before[name]!;
    const field = now.get(name);
    const path = `${prefix}${name}`;
    if (!field) {
      // Stored payloads still hold the value, and a field re-added under this name would meet it (Buf: FIELD_NO_DELETE).
      changes.push({
        what: `field "${path}" was removed`,
        stored: 'breaking',
        consumers: required(was) ? 'breaking' : 'compatible',
        where: parent,
      });
      continue;
    }
    changes.push(...diffField(was, field, types, path));
  }
  for (const field of after) {
    if (field.name in before) continue;
    const path = `${prefix}${field.name}`;
    if (isRequired(field))
      changes.push({
        what: `required field "${path}" was added`,
        stored: 'breaking',
        consumers: 'compatible',
        where: field.source,
      });
    else
      changes.push({
        what: `${field.optional ? 'optional field' : 'field'} "${path}"${field.default !== undefined ? ` with a default` : ''} was added`,
        stored: 'compatible',
        consumers: 'compatible',
        where: field.source,
      });
  }
  return changes;
}

function diffField(
  was: LockedField,
  field: FieldNode,
  types: ReadonlyMap<string, TypeNode>,
  path: string,
): FieldChange[] {
  const changes: FieldChange[] = [];
  const where = field.source;
  const now: LockedField = {
    ...lockedType(field.type, types),
    ...(field.optional ? { optional: true as const } : {}),
    ...(field.default !== undefined ? { default: field.default } : {}),
  };
  if (!mayBeAbsent(was) && mayBeAbsent(now))
    changes.push({ what: `field "${path}" became optional`, stored: 'compatible', consumers: 'breaking', where });
  if (!required(was) && required(now))
    changes.push({ what: `field "${path}" became required`, stored: 'breaking', consumers: 'compatible', where });
  else if (was.default === undefined && now.default !== undefined) {
    // A required field was in every stored payload; an optional one may be missing, and such events now read the default.
    changes.push({
      what: `field "${path}" got the default ${JSON.stringify(now.default)}`,
      stored: was.optional ? 'breaking' : 'compatible',
      consumers: 'compatible',
      where,
    });
  } else if (was.default !== undefined && now.default === undefined) {
    changes.push({
      what: `field "${path}" lost its default ${JSON.stringify(was.default)}`,
      stored: 'breaking',
      consumers: 'compatible',
      where,
    });
  } else if (was.default !== undefined && JSON.stringify(was.default) !== JSON.stringify(now.default)) {
    changes.push({
      what: `the default of field "${path}" changed from ${JSON.stringify(was.default)} to ${JSON.stringify(now.default)}`,
      stored: 'breaking',
      consumers: 'compatible',
      where,
    });
  }
  changes.push(...diffType(was, field.type, types, path, where, 0));
  return changes;
}

/** Reading a payload needs the value: not optional and no default to fill it in. */
function required(f: LockedField): boolean {
  return f.optional !== true && f.default === undefined;
}

/** A written payload may lack the value: optional without a default. */
function mayBeAbsent(f: LockedField): boolean {
  return f.optional === true && f.default === undefined;
}

function isRequired(f: FieldNode): boolean {
  return !f.optional && f.default === undefined;
}

/** Scalars whose every value is also a valid value of the other (`from → to` widens). */
const WIDENINGS: ReadonlySet<string> = new Set([
  'integer→number',
  'uuid→string',
  'date→string',
  'datetime→string',
  'decimal→string',
  'enum→string',
]);

function diffType(
  was: LockedType,
  now: FieldType,
  types: ReadonlyMap<string, TypeNode>,
  path: string,
  where: SourceLocation,
  depth: number,
): FieldChange[] {
  if (depth > 32) return [];
  const after = lockedType(now, types);
  if (was.type === 'enum' && after.type === 'enum') {
    const added = after.values.filter((v) => !was.values.includes(v));
    const removed = was.values.filter((v) => !after.values.includes(v));
    const changes: FieldChange[] = [];
    if (added.length)
      changes.push({
        what: `enum of field "${path}" gained ${list(added)}`,
        stored: 'compatible',
        consumers: 'breaking',
        where,
      });
    if (removed.length)
      changes.push({
        what: `enum of field "${path}" lost ${list(removed)}`,
        stored: 'breaking',
        consumers: 'compatible',
        where,
      });
    return changes;
  }
  if (was.type === 'list' && after.type === 'list') {
    const items = now.kind === 'ListType' ? now.items : resolvedList(now, types);
    return items ? diffType(was.items, items, types, `${path}[]`, where, depth + 1) : [];
  }
  if (was.type === 'object' && after.type === 'object') {
    const fields = objectFields(now, types);
    return fields ? diffFields(was.fields, fields, types, `${path}.`, where) : [];
  }
  if (was.type === after.type) return [];
  const from = typeText(was);
  const to = typeText(after);
  if (WIDENINGS.has(`${was.type}→${after.type}`))
    return [
      { what: `field "${path}" widened from ${from} to ${to}`, stored: 'compatible', consumers: 'breaking', where },
    ];
  if (WIDENINGS.has(`${after.type}→${was.type}`))
    return [
      { what: `field "${path}" narrowed from ${from} to ${to}`, stored: 'breaking', consumers: 'compatible', where },
    ];
  return [
    { what: `field "${path}" changed type from ${from} to ${to}`, stored: 'breaking', consumers: 'breaking', where },
  ];
}

function resolvedList(type: FieldType, _types: ReadonlyMap<string, TypeNode>): FieldType | undefined {
  return type.kind === 'ListType' ? type.items : undefined;
}

function objectFields(type: FieldType, types: ReadonlyMap<string, TypeNode>): readonly FieldNode[] | undefined {
  if (type.kind === 'ObjectType') return type.fields;
  if (type.kind === 'RefType') {
    const named = types.get(type.name);
    return named?.kind === 'ValueObjectNode' ? named.fields : undefined;
  }
  return undefined;
}

/** `decimal`, `enum (A, B)`, `list<string>`, `object`. */
export function typeText(t: LockedType): string {
  switch (t.type) {
    case 'enum':
      return `enum (${t.values.join(', ')})`;
    case 'list':
      return `list<${typeText(t.items)}>`;
    default:
      return t.type;
  }
}

function list(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function messageOf(c: LockChange, lockName: string): string {
  const subject = c.version !== undefined ? `${c.event} v${c.version}` : c.event;
  const stored = `stored ${subject} events could no longer be read as they were written`;
  const consumers = 'consumers built from the recorded version could not read the events written now';
  const who =
    c.stored === 'breaking' && c.consumers === 'breaking'
      ? `${stored}, and ${consumers}`
      : c.stored === 'breaking'
        ? stored
        : consumers;
  return `${subject} is published (recorded in ${lockName}), but ${c.what}: ${who}.`;
}

function fixOf(c: LockChange, model: DomainModel, lock: EventLock): string {
  if (c.fix) return c.fix;
  const event = model.events.find((e) => e.name === c.event || e.renamedFrom.includes(c.event));
  if (!event)
    return `Keep "${c.event}" declared (mark it \`retired: true\` if no command raises it any more), or list "${c.event}" in \`renamedFrom\` of the event that replaces it.`;
  if (c.version !== undefined && c.version > event.version) {
    return `Raise \`version:\` back to ${c.version} (stored events have it); declare a change as version ${c.version + 1}.`;
  }
  if (c.version !== undefined && c.version === event.version) {
    const next = event.version + 1;
    return `Keep v${c.version} as recorded and bump the version to ${next}: set \`version: ${next}\`, move v${c.version}'s recorded fields to \`history: { ${c.version}: { fields: … } }\` and declare the upcast steps from ${c.version} to ${next}.`;
  }
  if (c.version !== undefined) {
    const restore = `Restore v${c.version} in \`history\` as recorded in the lock: history describes events already stored.`;
    // The version being added (not in the lock yet) is a draft: it can still carry the change.
    if (!(String(event.version) in (lock.events[c.event]?.versions ?? {})))
      return `${restore} Make the change in v${event.version} instead, the version you are adding: it is not recorded in the lock yet, so its fields may still change (lift the older versions to it with upcast steps in \`history\`).`;
    return `${restore} Declare the change as version ${event.version + 1}.`;
  }
  return `Undo this change, or declare a new event and retire this one (\`retired: true\`).`;
}
