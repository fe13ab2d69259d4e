import {
  DecrementExpr,
  EventFieldExpr,
  IncrementExpr,
  LiteralExpr,
  METADATA_KEYS,
  METADATA_TYPES,
  MetadataExpr,
  type ColumnNode,
  type ColumnTypeName,
  type EventNode,
  type FieldType,
  type MetadataKey,
  type SetExpr,
  type SourceLocation,
  type ValueExpr,
} from '../model.js';
import { didYouMean } from '../suggest.js';
import type { BuildContext } from './build-context.js';
import { coerceColumnLiteral } from './literals.js';
import { typeText } from './type-expression.js';
import { objectFields, resolveType } from './type-utils.js';

const NUMERIC_COLUMNS: ReadonlySet<ColumnTypeName> = new Set(['integer', 'bigint', 'number', 'decimal']);

/** Which column types each kind of source value may be written to. */
const ACCEPTS: Readonly<Record<string, readonly ColumnTypeName[]>> = {
  string: ['string', 'text'],
  integer: ['integer', 'bigint', 'number', 'decimal'],
  number: ['number', 'decimal'],
  decimal: ['decimal', 'string', 'text'],
  boolean: ['boolean'],
  uuid: ['uuid', 'string', 'text'],
  datetime: ['datetime'],
  date: ['date', 'string', 'text'],
  enum: ['string', 'text'],
  list: [],
  object: [],
};

/** Parses a handler expression as the JSON Schema allows it; undefined for shapes it rejects. */
export function parseExpression(raw: unknown, allowIncrement: boolean): SetExpr | undefined {
  if (typeof raw === 'string') {
    if (raw.startsWith('data.')) return EventFieldExpr.create({ path: raw.slice(5).split('.') });
    const key = raw.slice(5);
    if (raw.startsWith('meta.') && (METADATA_KEYS as readonly string[]).includes(key))
      return MetadataExpr.create({ key: key as MetadataKey });
    return undefined;
  }
  if (raw === null || typeof raw === 'number' || typeof raw === 'boolean') return LiteralExpr.create({ value: raw });
  if (typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length !== 1) return undefined;
  const [key, inner] = entries[0]!;
  if (key === 'value') return LiteralExpr.create({ value: inner as never });
  if (!allowIncrement || (key !== 'increment' && key !== 'decrement')) return undefined;
  const by = parseExpression(inner, false) as ValueExpr | undefined;
  if (!by) return undefined;
  return key === 'increment' ? IncrementExpr.create({ by }) : DecrementExpr.create({ by });
}

interface ExpressionTarget {
  readonly event: EventNode;
  readonly column: ColumnNode;
  readonly where: SourceLocation;
  /** In a `where`: nullability does not matter. */
  readonly inCondition: boolean;
}

/**
 * Checks an expression against the event and the column it is written to (or compared with),
 * and returns it with literals normalised to the column type.
 */
export function checkExpression(ctx: BuildContext, expr: SetExpr, target: ExpressionTarget): SetExpr | undefined {
  const { column, where } = target;
  if (expr.kind === 'IncrementExpr' || expr.kind === 'DecrementExpr') {
    const word = expr.kind === 'IncrementExpr' ? 'increment' : 'decrement';
    if (!NUMERIC_COLUMNS.has(column.type)) {
      ctx.report(
        'PROJECTION.TYPE_MISMATCH',
        `Column "${column.name}" is a ${column.type}; only numeric columns can ${word}.`,
        'Assign a value instead, or make the column integer, bigint, number or decimal.',
        where,
      );
      return undefined;
    }
    const by = checkExpression(ctx, expr.by, { ...target, inCondition: false }) as ValueExpr | undefined;
    if (!by) return undefined;
    if (by.kind === 'LiteralExpr' && by.value === null) {
      ctx.report('PROJECTION.TYPE_MISMATCH', `Cannot ${word} "${column.name}" by null.`, 'Use a number.', where);
      return undefined;
    }
    return expr.kind === 'IncrementExpr' ? IncrementExpr.create({ by }) : DecrementExpr.create({ by });
  }
  if (expr.kind === 'LiteralExpr') {
    const coerced = coerceColumnLiteral(expr.value, column.type, column.nullable || target.inCondition);
    if (!coerced.ok) {
      ctx.report(
        'PROJECTION.TYPE_MISMATCH',
        `The value for column "${column.name}" is not a ${column.type}: ${coerced.problem}.`,
        `Give a ${column.type}${column.nullable ? ' or null' : ''}.`,
        where,
      );
      return undefined;
    }
    return LiteralExpr.create({ value: coerced.value });
  }
  if (expr.kind === 'MetadataExpr') {
    const meta = METADATA_TYPES[expr.key];
    const accepted = [
      ...(ACCEPTS[meta.type] ?? []),
      ...(meta.type === 'string' && expr.key.endsWith('Id') ? (['uuid'] as const) : []),
    ];
    if (column.type !== 'json' && !accepted.includes(column.type)) {
      ctx.report(
        'PROJECTION.TYPE_MISMATCH',
        `meta.${expr.key} is a ${meta.type} and cannot be written to ${column.type} column "${column.name}".`,
        `Use a column of type ${accepted.join(' or ')}.`,
        where,
      );
      return undefined;
    }
    if (meta.nullable && !column.nullable && !target.inCondition) {
      ctx.report(
        'PROJECTION.NULLABILITY',
        `meta.${expr.key} may be absent, but column "${column.name}" is not nullable.`,
        `Make "${column.name}" nullable (\`${column.type}?\`).`,
        where,
      );
      return undefined;
    }
    return expr;
  }
  // An event field, possibly nested.
  const resolved = resolveEventField(expr.path, target.event, ctx);
  if ('problem' in resolved) {
    ctx.report('PROJECTION.UNKNOWN_FIELD', resolved.problem, resolved.fix, where);
    return undefined;
  }
  const kind = sourceKind(resolved.type, ctx);
  const accepted = ACCEPTS[kind] ?? [];
  if (column.type !== 'json' && !accepted.includes(column.type)) {
    ctx.report(
      'PROJECTION.TYPE_MISMATCH',
      `data.${expr.path.join('.')} is a ${typeText(resolved.type)} and cannot be written to ${column.type} column "${column.name}".`,
      accepted.length > 0
        ? `Use a column of type ${accepted.join(' or ')}.`
        : 'Use a `json` column for lists and objects.',
      where,
    );
    return undefined;
  }
  if (resolved.nullable && !column.nullable && !target.inCondition) {
    ctx.report(
      'PROJECTION.NULLABILITY',
      `data.${expr.path.join('.')} is optional, but column "${column.name}" is not nullable.`,
      `Make "${column.name}" nullable (\`${column.type}?\`), or make the field required.`,
      where,
    );
    return undefined;
  }
  return expr;
}

function resolveEventField(
  path: readonly string[],
  event: EventNode,
  ctx: BuildContext,
): { type: FieldType; nullable: boolean } | { problem: string; fix: string } {
  let fields = event.fields;
  let nullable = false;
  let type: FieldType | undefined;
  for (const [i, segment] of path.entries()) {
    const field = fields.find((f) => f.name === segment);
    const here = path.slice(0, i + 1).join('.');
    if (!field) {
      const names = fields.map((f) => f.name);
      return {
        problem: `Event "${event.name}" has no field "${here}".${didYouMean(segment, names)}`,
        fix:
          names.length > 0
            ? `Use one of: ${names.map((n) => `data.${[...path.slice(0, i), n].join('.')}`).join(', ')}.`
            : `"${event.name}" has no fields here; use meta.* or a literal.`,
      };
    }
    nullable ||= field.optional && field.default === undefined;
    type = field.type;
    if (i < path.length - 1) {
      const inner = objectFields(field.type, ctx.scope.types);
      if (!inner)
        return {
          problem: `data.${here} is a ${typeText(field.type)}, so "${path[i + 1]}" cannot be read from it.`,
          fix: `Read data.${here} itself (into a json column), or a field of an object.`,
        };
      fields = inner;
    }
  }
  return { type: type!, nullable };
}

function sourceKind(type: FieldType, ctx: BuildContext): string {
  const resolved = resolveType(type, ctx.scope.types);
  switch (resolved.kind) {
    case 'ScalarType':
      return resolved.name;
    case 'EnumType':
      return 'enum';
    case 'ListType':
      return 'list';
    default:
      return 'object';
  }
}
