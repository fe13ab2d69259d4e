import { METADATA_TYPES, type ColumnTypeName, type FieldType, type ValueExpr } from '@eventsmith/schema';
import type { DomainIndex } from '../common/domain-index.js';
import type { GeneratedFile } from '../common/generated-file.js';
import { literal } from '../common/naming.js';
import { storedLiteral } from './column-types.js';

/** A value expression as TypeScript, converted to what the column stores. */
export interface ValueCode {
  readonly code: string;
  /** True when the value may be `null` (an optional field or a nullable envelope field). */
  readonly nullable: boolean;
}

type Source = {
  readonly kind: 'date' | 'boolean' | 'structured' | 'plain';
  readonly nullable: boolean;
  readonly code: string;
};

/**
 * `data.total.amount` → `event.data.total.amount`, `meta.occurredAt` → `event.occurredAt.toISOString()`,
 * optional segments with `?.`, absent values as `null`.
 */
export function valueCode(
  file: GeneratedFile,
  index: DomainIndex,
  eventName: string,
  expr: ValueExpr,
  column: ColumnTypeName,
): ValueCode {
  if (expr.kind === 'LiteralExpr')
    return { code: literal(storedLiteral(column, expr.value)), nullable: expr.value === null };
  const source = expr.kind === 'MetadataExpr' ? metadataSource(expr.key) : fieldSource(index, eventName, expr.path);
  return convert(file, source, column);
}

function convert(file: GeneratedFile, source: Source, column: ColumnTypeName): ValueCode {
  const { code, nullable } = source;
  let wrap: (v: string) => string;
  if (column === 'json') {
    const toJson = file.import('toJsonValue', '@eventsmith/runtime');
    wrap = (v) => `JSON.stringify(${toJson}(${v}))`;
  } else if (source.kind === 'date') wrap = (v) => `${v}.toISOString()`;
  else if (source.kind === 'boolean') wrap = (v) => `(${v} ? 1 : 0)`;
  else if (source.kind === 'structured') {
    const toJson = file.import('toJsonValue', '@eventsmith/runtime');
    wrap = (v) => `JSON.stringify(${toJson}(${v}))`;
  } else wrap = (v) => v;
  if (!nullable) return { code: wrap(code), nullable: false };
  const identity = wrap('x') === 'x';
  return { code: identity ? `${code} ?? null` : `${code} == null ? null : ${wrap(code)}`, nullable: true };
}

function metadataSource(key: keyof typeof METADATA_TYPES): Source {
  const meta = METADATA_TYPES[key];
  return { kind: meta.type === 'datetime' ? 'date' : 'plain', nullable: meta.nullable, code: `event.${key}` };
}

function fieldSource(index: DomainIndex, eventName: string, path: readonly string[]): Source {
  let fields = index.event(eventName).fields;
  let code = 'event.data';
  let nullable = false;
  let type: FieldType | undefined;
  for (const segment of path) {
    const field = fields.find((f) => f.name === segment);
    if (!field) throw new Error(`Internal generator error: ${eventName} has no field ${path.join('.')}.`);
    code += nullable ? `?.${segment}` : `.${segment}`;
    nullable ||= field.optional && field.default === undefined;
    type = field.type;
    fields = index.objectFields(field.type) ?? [];
  }
  return { kind: kindOf(index, type!), nullable, code };
}

function kindOf(index: DomainIndex, type: FieldType): Source['kind'] {
  switch (type.kind) {
    case 'ScalarType':
      return type.name === 'datetime' ? 'date' : type.name === 'boolean' ? 'boolean' : 'plain';
    case 'EnumType':
      return 'plain';
    case 'RefType':
      return index.type(type.name).kind === 'EnumNode' ? 'plain' : 'structured';
    default:
      return 'structured';
  }
}
