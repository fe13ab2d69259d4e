import type {
  AssignmentNode,
  ColumnNode,
  ConditionNode,
  DeclarativeHandlerNode,
  ProjectionNode,
  ValueExpr,
} from '@eventsmith/schema';
import type { DomainIndex } from '../common/domain-index.js';
import type { GeneratedFile } from '../common/generated-file.js';
import { literal } from '../common/naming.js';
import { storedLiteral } from './column-types.js';
import { valueCode } from './value-code.js';

const RUNTIME = '@eventsmith/runtime';

interface Ctx {
  readonly file: GeneratedFile;
  readonly index: DomainIndex;
  readonly projection: ProjectionNode;
  readonly event: string;
}

/**
 * A declarative handler as a row operation object mirroring the YAML (`{ insert: {…} }`,
 * `{ update: { where, set } }`, …), which the runtime's `declarativeProjection` runs alone or
 * merged with the rest of a batch. Names come from the validated model.
 */
export function operationCode(ctx: Ctx, handler: DeclarativeHandlerNode): string {
  const op = handler.operation;
  switch (op.kind) {
    case 'InsertOperation':
      return `{ insert: ${values(ctx, op.values)} }`;
    case 'UpsertOperation':
      return `{ upsert: ${values(ctx, op.values)} }`;
    case 'UpdateOperation':
      return `{ update: { where: ${where(ctx, op.where)}, set: ${values(ctx, op.set)} } }`;
    case 'DeleteOperation':
      return `{ delete: { where: ${where(ctx, op.where)} } }`;
  }
}

/**
 * `counters: { col: { type, default } }` for the columns the projection increments or
 * decrements (how batches add their amounts up), or undefined when there are none.
 */
export function countersCode(projection: ProjectionNode): string | undefined {
  const names = new Set<string>();
  for (const handler of projection.handlers) {
    if (handler.kind !== 'DeclarativeHandlerNode') continue;
    const op = handler.operation;
    const assignments = op.kind === 'UpdateOperation' ? op.set : op.kind === 'DeleteOperation' ? [] : op.values;
    for (const a of assignments)
      if (a.value.kind === 'IncrementExpr' || a.value.kind === 'DecrementExpr') names.add(a.column);
  }
  const entries = projection.columns
    .filter((c) => names.has(c.name) && ['integer', 'bigint', 'number', 'decimal'].includes(c.type))
    .map((c) => {
      const fallback = c.default === undefined ? '' : `, default: ${literal(storedLiteral(c.type, c.default))}`;
      return `${c.name}: { type: ${literal(c.type)}${fallback} }`;
    });
  return entries.length ? `{ ${entries.join(', ')} }` : undefined;
}

function column(ctx: Ctx, name: string): ColumnNode {
  const col = ctx.projection.columns.find((c) => c.name === name);
  if (!col) throw new Error(`Internal generator error: ${ctx.projection.name} has no column ${name}.`);
  return col;
}

/** `{ col: value, … }`; an increment or decrement as `increment(amount)` / `decrement(amount)`. */
function values(ctx: Ctx, assignments: readonly AssignmentNode[]): string {
  const entries = assignments.map((a) => {
    const col = column(ctx, a.column);
    if (a.value.kind === 'IncrementExpr' || a.value.kind === 'DecrementExpr') {
      const fn = ctx.file.import(a.value.kind === 'IncrementExpr' ? 'increment' : 'decrement', RUNTIME);
      return `${a.column}: ${fn}(${amount(ctx, a.value.by, col)})`;
    }
    return `${a.column}: ${valueCode(ctx.file, ctx.index, ctx.event, a.value, col.type).code}`;
  });
  return `{ ${entries.join(', ')} }`;
}

function amount(ctx: Ctx, by: ValueExpr, col: ColumnNode): string {
  const v = valueCode(ctx.file, ctx.index, ctx.event, by, col.type);
  return v.nullable ? `(${v.code} ?? 0)` : v.code;
}

/** `{ col: value, … }`, ANDed; a null value matches `is null`. */
function where(ctx: Ctx, conditions: readonly ConditionNode[]): string {
  const entries = conditions.map(
    (c) => `${c.column}: ${valueCode(ctx.file, ctx.index, ctx.event, c.value, column(ctx, c.column).type).code}`,
  );
  return `{ ${entries.join(', ')} }`;
}
