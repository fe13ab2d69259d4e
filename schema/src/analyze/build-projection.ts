import {
  AssignmentNode,
  COLUMN_TYPES,
  ColumnNode,
  ConditionNode,
  CustomHandlerNode,
  DeclarativeHandlerNode,
  DecrementExpr,
  DeleteOperation,
  IncrementExpr,
  IndexNode,
  InsertOperation,
  ProjectionNode,
  UpdateOperation,
  UpsertOperation,
  type ColumnTypeName,
  type EventNode,
  type HandlerNode,
  type JsonValue,
  type ProjectionOperation,
  type SetExpr,
  type ValueExpr,
} from '../model.js';
import { toSnakeCase, MAX_SQL_IDENTIFIER_LENGTH } from '../identifiers.js';
import { didYouMean, listChoices } from '../suggest.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import type { BuildContext } from './build-context.js';
import { asMap, asNameList } from './build-fields.js';
import { coerceColumnLiteral } from './literals.js';
import { checkExpression, parseExpression } from './projection-expressions.js';

interface RawProjection {
  readonly description?: string;
  readonly table?: string;
  readonly columns?: Record<string, unknown>;
  readonly primaryKey?: string | readonly string[];
  readonly indexes?: readonly (
    readonly string[] | { readonly columns: readonly string[]; readonly unique?: boolean; readonly name?: string }
  )[];
  readonly on?: Record<string, unknown>;
}

type RawHandler =
  | 'custom'
  | { readonly insert: Record<string, unknown> }
  | { readonly upsert: Record<string, unknown> }
  | { readonly update: { readonly where: Record<string, unknown>; readonly set: Record<string, unknown> } }
  | { readonly delete: { readonly where: Record<string, unknown> } };

/** Builds a projection and checks its columns, keys, indexes and handlers against the events. */
export function buildProjection(ctx: BuildContext, name: string, raw: unknown): ProjectionNode | undefined {
  const before = ctx.errors.length;
  const path: PathSegment[] = ['projections', name];
  const projection = raw as RawProjection;
  ctx.checkTopLevelName(name, 'Projection', path);
  const tableGiven = typeof projection.table === 'string' && !ctx.isPoisoned([...path, 'table']);
  const table = tableGiven ? projection.table! : toSnakeCase(name);
  ctx.checkSqlName(table, 'Table name', tableGiven ? [...path, 'table'] : path, tableGiven ? 'value' : 'key');

  const columns: ColumnNode[] = [];
  for (const [columnName, rawColumn] of Object.entries(asMap(projection.columns))) {
    const columnPath = [...path, 'columns', columnName];
    if (ctx.isPoisoned(columnPath) || !ctx.checkSqlName(columnName, 'Column', columnPath)) continue;
    const long =
      typeof rawColumn === 'string'
        ? { type: rawColumn }
        : (rawColumn as { type: string; nullable?: boolean; default?: unknown; description?: string });
    const optional = long.type.endsWith('?');
    const type = (optional ? long.type.slice(0, -1) : long.type) as ColumnTypeName;
    if (!(COLUMN_TYPES as readonly string[]).includes(type)) continue; // the JSON Schema reported it
    const nullable = optional || long.nullable === true;
    let defaultValue: JsonValue | undefined;
    if (long.default !== undefined) {
      const coerced = coerceColumnLiteral(long.default, type, nullable);
      if (!coerced.ok) {
        ctx.report(
          'TYPE.INVALID_VALUE',
          `The default of column "${columnName}" is not a ${type}: ${coerced.problem}.`,
          `Give a ${type} default.`,
          ctx.at([...columnPath, 'default'], 'value'),
        );
        continue;
      }
      defaultValue = coerced.value;
    }
    columns.push(
      ColumnNode.create({
        name: columnName,
        type,
        nullable,
        default: defaultValue,
        description: long.description,
        source: ctx.at(columnPath),
      }),
    );
  }
  const byName = new Map(columns.map((c) => [c.name, c]));
  const columnNames = Object.keys(asMap(projection.columns));
  const checkColumn = (column: string, at: readonly PathSegment[], target: 'key' | 'value') => {
    if (columnNames.includes(column)) return true;
    ctx.report(
      'PROJECTION.UNKNOWN_COLUMN',
      `Projection "${name}" has no column "${column}".${didYouMean(column, columnNames)}`,
      `Use one of its columns: ${listChoices(columnNames, 12)}, or declare "${column}" under columns.`,
      ctx.at(at, target),
    );
    return false;
  };

  // With broken columns, column checks would only repeat the schema errors.
  const columnsBroken = ctx.isPoisoned([...path, 'columns']);
  const primaryKey = ctx.isPoisoned([...path, 'primaryKey']) || columnsBroken ? [] : asNameList(projection.primaryKey);
  for (const [i, column] of primaryKey.entries()) {
    const at = Array.isArray(projection.primaryKey) ? [...path, 'primaryKey', i] : [...path, 'primaryKey'];
    if (checkColumn(column, at, 'value') && byName.get(column)?.nullable) {
      ctx.report(
        'PROJECTION.PRIMARY_KEY',
        `Primary key column "${column}" is nullable.`,
        `Make "${column}" non-nullable (remove the \`?\`).`,
        ctx.at(at, 'value'),
      );
    }
  }

  const indexes: IndexNode[] = [];
  for (const [i, rawIndex] of (Array.isArray(projection.indexes) ? projection.indexes : []).entries()) {
    const indexPath = [...path, 'indexes', i];
    if (ctx.isPoisoned(indexPath) || columnsBroken) continue;
    const spec = Array.isArray(rawIndex)
      ? { columns: rawIndex as readonly string[] }
      : (rawIndex as { columns: readonly string[]; unique?: boolean; name?: string });
    const okColumns = spec.columns
      .map((c, j) =>
        checkColumn(c, Array.isArray(rawIndex) ? [...indexPath, j] : [...indexPath, 'columns', j], 'value'),
      )
      .every(Boolean);
    const unique = spec.unique === true;
    const indexName = spec.name ?? defaultIndexName(table, spec.columns, unique);
    if (spec.name) ctx.checkSqlName(spec.name, 'Index name', [...indexPath, 'name'], 'value');
    if (okColumns)
      indexes.push(
        IndexNode.create({ name: indexName, columns: [...spec.columns], unique, source: ctx.at(indexPath, 'value') }),
      );
  }

  const handlers: HandlerNode[] = [];
  for (const [eventName, rawHandler] of Object.entries(asMap(projection.on))) {
    const handlerPath = [...path, 'on', eventName];
    const event = resolveHandlerEvent(ctx, name, eventName, handlerPath);
    if (!event || ctx.isPoisoned(handlerPath) || columnsBroken) continue;
    const source = ctx.at(handlerPath);
    if (rawHandler === 'custom') {
      handlers.push(CustomHandlerNode.create({ event: eventName, source }));
      continue;
    }
    const operation = buildOperation(ctx, rawHandler as Exclude<RawHandler, 'custom'>, {
      event,
      byName,
      primaryKey,
      handlerPath,
      checkColumn,
    });
    if (operation) handlers.push(DeclarativeHandlerNode.create({ event: eventName, operation, source }));
  }

  if (ctx.errors.length > before) return undefined;
  return ProjectionNode.create({
    name,
    description: projection.description,
    table,
    columns,
    primaryKey,
    indexes,
    handlers,
    source: ctx.at(path),
  });
}

function resolveHandlerEvent(
  ctx: BuildContext,
  projection: string,
  eventName: string,
  at: readonly PathSegment[],
): EventNode | undefined {
  const event = ctx.scope.events.get(eventName);
  if (event) return event;
  if (ctx.scope.eventNames.has(eventName)) return undefined; // declared but invalid: already reported
  const renamedTo = ctx.scope.renamedEvents.get(eventName);
  if (renamedTo !== undefined) {
    ctx.report(
      'PROJECTION.UNKNOWN_EVENT',
      `Event "${eventName}" was renamed to "${renamedTo}".`,
      `Handle "${renamedTo}"; its old events are read as "${renamedTo}".`,
      ctx.at(at),
    );
  } else {
    ctx.report(
      'PROJECTION.UNKNOWN_EVENT',
      `Projection "${projection}" handles "${eventName}", which is not an event of this domain.${didYouMean(eventName, ctx.scope.eventNames)}`,
      `Handle one of: ${listChoices(ctx.scope.eventNames, 12)}.`,
      ctx.at(at),
    );
  }
  return undefined;
}

interface OperationScope {
  readonly event: EventNode;
  readonly byName: ReadonlyMap<string, ColumnNode>;
  readonly primaryKey: readonly string[];
  readonly handlerPath: readonly PathSegment[];
  readonly checkColumn: (column: string, at: readonly PathSegment[], target: 'key' | 'value') => boolean;
}

function buildOperation(
  ctx: BuildContext,
  raw: Exclude<RawHandler, 'custom'>,
  scope: OperationScope,
): ProjectionOperation | undefined {
  const before = ctx.errors.length;
  const base = scope.handlerPath;
  if ('insert' in raw || 'upsert' in raw) {
    const kind = 'insert' in raw ? 'insert' : 'upsert';
    const values = assignments(ctx, 'insert' in raw ? raw.insert : raw.upsert, [...base, kind], scope);
    const assigned = new Set(Object.keys('insert' in raw ? raw.insert : raw.upsert));
    const missing = [...scope.byName.values()]
      .filter((c) => !c.nullable && c.default === undefined && !assigned.has(c.name))
      .map((c) => c.name);
    if (missing.length > 0) {
      ctx.report(
        'PROJECTION.MISSING_COLUMN',
        `The ${kind} for "${scope.event.name}" does not set ${missing.map((m) => `"${m}"`).join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} required.`,
        `Assign ${missing.join(', ')}, or make ${missing.length === 1 ? 'it' : 'them'} nullable or give a default.`,
        ctx.at([...base, kind]),
      );
    }
    if (kind === 'upsert') {
      const keyMissing = scope.primaryKey.filter((k) => !assigned.has(k));
      if (keyMissing.length > 0)
        ctx.report(
          'PROJECTION.PRIMARY_KEY',
          `The upsert for "${scope.event.name}" does not set primary key column ${keyMissing.map((k) => `"${k}"`).join(', ')}.`,
          'An upsert finds its row by the primary key; assign every key column.',
          ctx.at([...base, kind]),
        );
    }
    if (!values || ctx.errors.length > before) return undefined;
    return kind === 'insert'
      ? InsertOperation.create({ values })
      : UpsertOperation.create({ values, conflictColumns: [...scope.primaryKey] });
  }
  if ('update' in raw) {
    const where = conditions(ctx, raw.update.where, [...base, 'update', 'where'], scope);
    const set = assignments(ctx, raw.update.set, [...base, 'update', 'set'], scope);
    return where && set && ctx.errors.length === before ? UpdateOperation.create({ where, set }) : undefined;
  }
  const where = conditions(ctx, raw.delete.where, [...base, 'delete', 'where'], scope);
  return where && ctx.errors.length === before ? DeleteOperation.create({ where }) : undefined;
}

function assignments(
  ctx: BuildContext,
  raw: Record<string, unknown>,
  path: readonly PathSegment[],
  scope: OperationScope,
): AssignmentNode[] | undefined {
  const out: AssignmentNode[] = [];
  let ok = true;
  for (const [column, rawExpr] of Object.entries(raw)) {
    const at = [...path, column];
    const value = expression(ctx, rawExpr, at, scope, column, true) as SetExpr | undefined;
    if (value) out.push(AssignmentNode.create({ column, value, source: ctx.at(at) }));
    else ok = false;
  }
  return ok ? out : undefined;
}

function conditions(
  ctx: BuildContext,
  raw: Record<string, unknown>,
  path: readonly PathSegment[],
  scope: OperationScope,
): ConditionNode[] | undefined {
  const out: ConditionNode[] = [];
  let ok = true;
  for (const [column, rawExpr] of Object.entries(raw)) {
    const at = [...path, column];
    const value = expression(ctx, rawExpr, at, scope, column, false) as ValueExpr | undefined;
    if (value) out.push(ConditionNode.create({ column, value, source: ctx.at(at) }));
    else ok = false;
  }
  return ok ? out : undefined;
}

function expression(
  ctx: BuildContext,
  raw: unknown,
  at: readonly PathSegment[],
  scope: OperationScope,
  column: string,
  allowIncrement: boolean,
): SetExpr | undefined {
  if (!scope.checkColumn(column, at, 'key')) return undefined;
  const target = scope.byName.get(column);
  if (!target) return undefined; // an invalid column: already reported
  const parsed = parseExpression(raw, allowIncrement);
  if (!parsed) return undefined; // the JSON Schema reported it
  const where = ctx.at(at, 'value');
  const checked = checkExpression(ctx, parsed, {
    event: scope.event,
    column: target,
    where,
    inCondition: !allowIncrement,
  });
  if (!checked) return undefined;
  if (checked.kind === 'IncrementExpr' || checked.kind === 'DecrementExpr') {
    return checked.kind === 'IncrementExpr'
      ? IncrementExpr.create({ by: checked.by })
      : DecrementExpr.create({ by: checked.by });
  }
  return checked;
}

/** `<table>_<col>_<col>_idx` (`_uniq` when unique), shortened with a hash when too long for SQL. */
export function defaultIndexName(table: string, columns: readonly string[], unique: boolean): string {
  const suffix = unique ? 'uniq' : 'idx';
  const name = `${table}_${columns.join('_')}_${suffix}`;
  if (name.length <= MAX_SQL_IDENTIFIER_LENGTH) return name;
  let hash = 0x811c9dc5;
  for (const c of name) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return `${table.slice(0, 40)}_${hash.toString(16).padStart(8, '0')}_${suffix}`;
}
