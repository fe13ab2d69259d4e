import type { AssignmentNode, ColumnNode, ConditionNode, DeclarativeHandlerNode, ProjectionNode, ValueExpr } from '@eventsmith/schema';
import type { DomainIndex } from '../common/domain-index.js';
import type { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { quote } from '../common/naming.js';
import { SQL_TYPES } from './column-types.js';
import { valueCode } from './value-code.js';

interface Ctx {
  readonly file: GeneratedFile;
  readonly layout: Layout;
  readonly index: DomainIndex;
  readonly projection: ProjectionNode;
  readonly event: string;
}

/**
 * The body of a declarative handler: Kysely statements through `db`, which is the transaction
 * the projection runs in. Values are bound as parameters; names come from the validated model.
 */
export function handlerBody(ctx: Ctx, handler: DeclarativeHandlerNode): string {
  const op = handler.operation;
  const t = quote(ctx.projection.table);
  switch (op.kind) {
    case 'InsertOperation':
      return `await db.insertInto(${t}).values(${insertValues(ctx, op.values)}).execute();`;
    case 'UpdateOperation': {
      const { consts, where } = conditions(ctx, op.where);
      return `${consts}await db.updateTable(${t}).set(${setValues(ctx, op.set)})${where}.execute();`;
    }
    case 'DeleteOperation': {
      const { consts, where } = conditions(ctx, op.where);
      return `${consts}await db.deleteFrom(${t})${where}.execute();`;
    }
    case 'UpsertOperation': {
      const keyAssignments = op.conflictColumns.map((c) => op.values.find((v) => v.column === c)).filter((v): v is AssignmentNode => v !== undefined);
      const keyConditions: ConditionNode[] = keyAssignments.map((a) => ({ kind: 'ConditionNode', column: a.column, value: a.value as ConditionNode['value'], source: a.source }));
      const { consts, where } = conditions(ctx, keyConditions);
      const others = op.values.filter((v) => !op.conflictColumns.includes(v.column));
      const update = others.length ? `await db.updateTable(${t}).set(${setValues(ctx, others)})${where}.execute();` : '// Nothing to update: every assigned column is part of the key.';
      return (
        `${consts}const existing = await db.selectFrom(${t}).select(${quote(op.conflictColumns[0] ?? '')})${where}.executeTakeFirst();\n` +
        `if (existing) {\n  ${update}\n} else {\n  await db.insertInto(${t}).values(${insertValues(ctx, op.values)}).execute();\n}`
      );
    }
  }
}

function column(ctx: Ctx, name: string): ColumnNode {
  const col = ctx.projection.columns.find((c) => c.name === name);
  if (!col) throw new Error(`Internal generator error: ${ctx.projection.name} has no column ${name}.`);
  return col;
}

/** `{ col: value, … }` for an insert: increments and decrements insert their amount (negated for a decrement). */
function insertValues(ctx: Ctx, values: readonly AssignmentNode[]): string {
  const entries = values.map((a) => {
    const col = column(ctx, a.column);
    if (a.value.kind === 'IncrementExpr' || a.value.kind === 'DecrementExpr') {
      const by = amount(ctx, a.value.by, col);
      const value = a.value.kind === 'DecrementExpr' ? `${ctx.file.import('negateAmount', { file: ctx.layout.projectionDatabase })}(${by})` : by;
      return `${a.column}: ${value}`;
    }
    return `${a.column}: ${valueCode(ctx.file, ctx.index, ctx.event, a.value, col.type).code}`;
  });
  return `{ ${entries.join(', ')} }`;
}

/** `{ … }` or `(eb) => ({ … })` when a column is incremented in SQL. */
function setValues(ctx: Ctx, values: readonly AssignmentNode[]): string {
  let usesEb = false;
  const entries = values.map((a) => {
    const col = column(ctx, a.column);
    if (a.value.kind === 'IncrementExpr' || a.value.kind === 'DecrementExpr') {
      usesEb = true;
      const op = a.value.kind === 'IncrementExpr' ? "'+'" : "'-'";
      const by = amount(ctx, a.value.by, col);
      if (col.type === 'decimal') {
        // Exact on PostgreSQL and MySQL; on SQLite, rounding keeps binary float noise out of the row.
        return `${a.column}: eb.fn<string>('round', [eb(${quote(a.column)}, ${op}, eb.cast<string>(eb.val(${by}), ${quote(SQL_TYPES.decimal)})), eb.lit(10)])`;
      }
      return `${a.column}: eb(${quote(a.column)}, ${op}, ${by})`;
    }
    return `${a.column}: ${valueCode(ctx.file, ctx.index, ctx.event, a.value, col.type).code}`;
  });
  const object = `{ ${entries.join(', ')} }`;
  return usesEb ? `(eb) => (${object})` : object;
}

function amount(ctx: Ctx, by: ValueExpr, col: ColumnNode): string {
  const v = valueCode(ctx.file, ctx.index, ctx.event, by, col.type);
  return v.nullable ? `(${v.code} ?? 0)` : v.code;
}

/** `where` clauses ANDed; a nullable value compares with `is` when it is null. */
function conditions(ctx: Ctx, where: readonly ConditionNode[]): { consts: string; where: string } {
  const consts: string[] = [];
  const clauses = where.map((c, i) => {
    const col = column(ctx, c.column);
    const v = valueCode(ctx.file, ctx.index, ctx.event, c.value, col.type);
    if (!v.nullable) return `.where(${quote(c.column)}, '=', ${v.code})`;
    consts.push(`const key${i} = ${v.code};`);
    return `.where(${quote(c.column)}, key${i} === null ? 'is' : '=', key${i})`;
  });
  return { consts: consts.length ? `${consts.join('\n')}\n` : '', where: clauses.join('') };
}
