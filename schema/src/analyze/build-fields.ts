import {
  EnumType,
  FieldNode,
  ListType,
  ObjectType,
  SCALAR_TYPES,
  type FieldType,
  type JsonValue,
  type SourceLocation,
} from '../model.js';
import { closestType, listChoices } from '../suggest.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import type { BuildContext } from './build-context.js';
import { coerceLiteral } from './literals.js';
import { parseTypeExpression, typeText } from './type-expression.js';

/** The long form of a field, as the JSON Schema allows it. */
export interface RawFieldObject {
  readonly type: string;
  readonly optional?: boolean;
  readonly default?: unknown;
  readonly initial?: unknown;
  readonly description?: string;
  readonly values?: readonly string[];
  readonly fields?: Readonly<Record<string, unknown>> | null;
  readonly items?: unknown;
}
export type RawField = string | RawFieldObject;

/** Builds the fields of a map such as `fields:` or `params:`; returns undefined when any failed. */
export function buildFields(
  ctx: BuildContext,
  raw: unknown,
  path: readonly PathSegment[],
  what = 'Field',
): FieldNode[] | undefined {
  const out: FieldNode[] = [];
  let failed = false;
  for (const [name, rawField] of Object.entries(asMap(raw))) {
    const field = buildField(ctx, name, rawField as RawField, [...path, name], what);
    if (field) out.push(field);
    else failed = true;
  }
  return failed ? undefined : out;
}

/** Builds one field; reports and returns undefined when it is invalid. */
export function buildField(
  ctx: BuildContext,
  name: string,
  raw: RawField,
  path: readonly PathSegment[],
  what = 'Field',
): FieldNode | undefined {
  const nameOk = ctx.checkTsName(name, what, path);
  const typed = buildFieldType(ctx, raw, path);
  if (!typed || !nameOk) return undefined;
  const source = ctx.at(path);
  const long = typeof raw === 'object' && raw !== null ? raw : undefined;
  let defaultValue: JsonValue | undefined;
  if (long && 'default' in long && long.default !== undefined) {
    const coerced = coerceLiteral(long.default, typed.type, typed.optional, ctx.scope);
    if (!coerced.ok) {
      ctx.report(
        'TYPE.INVALID_VALUE',
        `The default of "${name}" is not a ${typeText(typed.type)}: ${coerced.problem}.`,
        `Give a default of type ${typeText(typed.type)}.`,
        ctx.at([...path, 'default'], 'value'),
      );
      return undefined;
    }
    defaultValue = coerced.value;
  }
  return FieldNode.create({
    name,
    type: typed.type,
    optional: typed.optional,
    default: defaultValue,
    description: long?.description,
    source,
  });
}

/** Builds the type of a field (short or long form), checking references against the scope. */
export function buildFieldType(
  ctx: BuildContext,
  raw: RawField | unknown,
  path: readonly PathSegment[],
): { type: FieldType; optional: boolean } | undefined {
  if (typeof raw === 'string') return parseExpression(ctx, raw, path, ctx.at(path, 'value'));
  if (typeof raw !== 'object' || raw === null) return undefined; // the JSON Schema reported it
  const long = raw as RawFieldObject;
  const optional = long.optional === true;
  const misplaced = (key: keyof RawFieldObject, belongsTo: string) => {
    if (long[key] === undefined) return false;
    ctx.report(
      'TYPE.MISPLACED_PROPERTY',
      `"${key}" only applies to \`type: ${belongsTo}\`, but this field is a ${long.type}.`,
      `Remove "${key}", or change the type to ${belongsTo}.`,
      ctx.at([...path, key]),
    );
    return true;
  };
  switch (long.type) {
    case 'enum': {
      if (misplaced('fields', 'object') || misplaced('items', 'list')) return undefined;
      if (!checkEnumValues(ctx, long.values ?? [], [...path, 'values'])) return undefined;
      return { type: EnumType.create({ values: [...(long.values ?? [])] }), optional };
    }
    case 'object': {
      if (misplaced('values', 'enum') || misplaced('items', 'list')) return undefined;
      const fields = buildFields(ctx, long.fields, [...path, 'fields']);
      return fields ? { type: ObjectType.create({ fields }), optional } : undefined;
    }
    case 'list': {
      if (misplaced('values', 'enum') || misplaced('fields', 'object')) return undefined;
      const items = buildFieldType(ctx, long.items, [...path, 'items']);
      if (!items) return undefined;
      if (items.optional) {
        ctx.report(
          'TYPE.INVALID_EXPRESSION',
          'List items cannot be optional.',
          'Make the list itself optional instead (`optional: true`).',
          ctx.at([...path, 'items']),
        );
        return undefined;
      }
      return { type: ListType.create({ items: items.type }), optional };
    }
    default: {
      if (misplaced('values', 'enum') || misplaced('fields', 'object') || misplaced('items', 'list')) return undefined;
      const parsed = parseExpression(ctx, long.type, path, ctx.at([...path, 'type'], 'value'));
      return parsed ? { type: parsed.type, optional: parsed.optional || optional } : undefined;
    }
  }
}

function parseExpression(
  ctx: BuildContext,
  text: string,
  path: readonly PathSegment[],
  where: SourceLocation,
): { type: FieldType; optional: boolean } | undefined {
  const parsed = parseTypeExpression(text);
  if (!parsed.ok) {
    ctx.report(
      'TYPE.INVALID_EXPRESSION',
      `"${text}" is not a valid type: ${parsed.problem}.`,
      'Write a scalar (string, integer, number, decimal, boolean, uuid, datetime, date), a type name from `types:`, or `list<T>`; add `?` for optional.',
      where,
    );
    return undefined;
  }
  const unknown = unknownReference(ctx, parsed.type);
  if (unknown !== undefined) {
    const candidates = [...ctx.scope.typeNames, ...SCALAR_TYPES];
    const suggestion = closestType(unknown, candidates);
    ctx.report(
      'TYPE.UNKNOWN',
      `Unknown type "${unknown}" in ${String(path[path.length - 1])}.${suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`}`,
      suggestion === undefined
        ? `Declare "${unknown}" under \`types:\`, or use one of: ${listChoices(candidates, 12)}.`
        : `Write "${suggestion}", or declare "${unknown}" under \`types:\`.`,
      where,
    );
    return undefined;
  }
  return { type: parsed.type, optional: parsed.optional };
}

function unknownReference(ctx: BuildContext, type: FieldType): string | undefined {
  if (type.kind === 'RefType') return ctx.scope.typeNames.has(type.name) ? undefined : type.name;
  if (type.kind === 'ListType') return unknownReference(ctx, type.items);
  return undefined;
}

/** Reports enum values that cannot be used (`__proto__`: zod keys its enum objects by value). */
export function checkEnumValues(ctx: BuildContext, values: readonly string[], path: readonly PathSegment[]): boolean {
  let ok = true;
  for (const [i, value] of values.entries()) {
    if (value !== '__proto__') continue;
    ctx.report(
      'NAME.RESERVED',
      `Enum value "${value}" is reserved: as an object key it would set the object's prototype.`,
      'Choose another value.',
      ctx.at([...path, i], 'value'),
    );
    ok = false;
  }
  return ok;
}

/** The value as a string-keyed map (null and non-maps become empty; the JSON Schema reports those). */
export function asMap(raw: unknown): Readonly<Record<string, unknown>> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
}

/** One name or a list of names (`emits: X` or `emits: [X, Y]`) as a list. */
export function asNameList(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : [];
}
