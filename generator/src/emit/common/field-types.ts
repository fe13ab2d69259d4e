import type { FieldNode, FieldType, JsonValue, ScalarTypeName } from '@eventsmith/schema';
import type { DomainIndex } from './domain-index.js';
import type { GeneratedFile } from './generated-file.js';
import type { Layout } from './layout.js';
import { camelCase, docComment, literal, propertyKey } from './naming.js';

/** What type renderers need: the file being written (for imports), paths and the model. */
export interface TypeContext {
  readonly file: GeneratedFile;
  readonly layout: Layout;
  readonly index: DomainIndex;
}

const RUNTIME = '@eventsmith/runtime';

/** Name of the zod schema constant of a named type: `Money` → `moneySchema`. */
export function schemaName(typeName: string): string {
  return `${camelCase(typeName)}Schema`;
}

/** Name of the stored-JSON type of a named type: enums are their own JSON, value objects get `…Json`. */
export function jsonTypeName(ctx: TypeContext, typeName: string): string {
  return ctx.index.type(typeName).kind === 'EnumNode' ? typeName : `${typeName}Json`;
}

/** The zod schema expression of a field type. `fields.*` helpers keep the runtime's JSON rules. */
export function zodOf(ctx: TypeContext, type: FieldType): string {
  switch (type.kind) {
    case 'ScalarType':
      return zodScalar(ctx, type.name);
    case 'EnumType':
      return `${z(ctx)}.enum([${type.values.map((v) => literal(v)).join(', ')}])`;
    case 'ListType': {
      // prettier breaks a call whose only argument is a multi-line call onto its own lines.
      const item = zodOf(ctx, type.items);
      return item.includes('\n') ? `${z(ctx)}.array(\n  ${indentTail(item)},\n)` : `${z(ctx)}.array(${item})`;
    }
    case 'ObjectType':
      return zodObject(ctx, type.fields);
    case 'RefType':
      return ctx.file.import(schemaName(type.name), { file: ctx.layout.types });
  }
}

/** `z.object({ … })` for a field list. */
export function zodObject(ctx: TypeContext, fields: readonly FieldNode[]): string {
  if (fields.length === 0) return `${z(ctx)}.object({})`;
  return `${z(ctx)}.object({\n${fields.map((f) => `${docComment(f.description, '  ')}  ${propertyKey(f.name)}: ${indentTail(zodField(ctx, f))},`).join('\n')}\n})`;
}

/**
 * A field's schema with its modifiers. A default is a `prefault`: the default is parsed like
 * any input, so a datetime default becomes a `Date` just as a given value would.
 */
export function zodField(
  ctx: TypeContext,
  field: { readonly type: FieldType; readonly optional: boolean; readonly default?: JsonValue },
): string {
  let out = zodOf(ctx, field.type);
  if (field.default !== undefined) out += `.prefault(${literal(field.default)})`;
  else if (field.optional) out += '.optional()';
  return out;
}

/**
 * The stored JSON shape of a field type (dates as ISO strings, decimals as strings), used for
 * historical event versions and upcaster signatures.
 */
export function jsonTypeOf(ctx: TypeContext, type: FieldType): string {
  switch (type.kind) {
    case 'ScalarType':
      return JSON_SCALARS[type.name];
    case 'EnumType':
      return type.values.map((v) => literal(v)).join(' | ');
    case 'ListType': {
      const item = jsonTypeOf(ctx, type.items);
      return /[|&]/.test(item) && !item.startsWith('{') ? `(${item})[]` : `${item}[]`;
    }
    case 'ObjectType':
      return jsonObjectType(ctx, type.fields);
    case 'RefType':
      return ctx.file.importType(jsonTypeName(ctx, type.name), { file: ctx.layout.types });
  }
}

/**
 * `{ a: string; b?: number }`. A field with a default may be absent in stored JSON written
 * before the default existed, so it is optional here.
 */
export function jsonObjectType(ctx: TypeContext, fields: readonly FieldNode[]): string {
  if (fields.length === 0) return 'Record<string, never>';
  const members = fields.map((f) => {
    const optional = f.optional || f.default !== undefined;
    return `${docComment(f.description, '  ')}  ${propertyKey(f.name)}${optional ? '?' : ''}: ${indentTail(jsonTypeOf(ctx, f.type))};`;
  });
  return `{\n${members.join('\n')}\n}`;
}

/** Indents every line but the first by two spaces: a nested multi-line value inside a member. */
export function indentTail(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

const JSON_SCALARS: Record<ScalarTypeName, string> = {
  string: 'string',
  integer: 'number',
  number: 'number',
  decimal: 'string',
  boolean: 'boolean',
  uuid: 'string',
  datetime: 'string',
  date: 'string',
};

function zodScalar(ctx: TypeContext, name: ScalarTypeName): string {
  switch (name) {
    case 'string':
      return `${z(ctx)}.string()`;
    case 'boolean':
      return `${z(ctx)}.boolean()`;
    default:
      return `${ctx.file.import('fields', RUNTIME)}.${name}()`;
  }
}

function z(ctx: TypeContext): string {
  return ctx.file.import('z', RUNTIME);
}

/** A deterministic sample value of a type, valid for its schema (golden upcaster tests). */
export function sampleOf(index: DomainIndex, type: FieldType, fieldName: string): JsonValue {
  switch (type.kind) {
    case 'ScalarType':
      return SCALAR_SAMPLES[type.name](fieldName);
    case 'EnumType':
      return type.values[0] ?? '';
    case 'ListType':
      return [sampleOf(index, type.items, fieldName)];
    case 'ObjectType':
      return sampleObject(index, type.fields);
    case 'RefType': {
      const named = index.type(type.name);
      return named.kind === 'EnumNode' ? (named.values[0] ?? '') : sampleObject(index, named.fields);
    }
  }
}

/** Samples for every field of an object, optional ones included. */
export function sampleObject(index: DomainIndex, fields: readonly FieldNode[]): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const f of fields) out[f.name] = sampleOf(index, f.type, f.name);
  return out;
}

const SCALAR_SAMPLES: Record<ScalarTypeName, (field: string) => JsonValue> = {
  string: (field) => `sample ${field}`,
  integer: () => 42,
  number: () => 10.5,
  decimal: () => '10.50',
  boolean: () => true,
  uuid: () => '0190a0b4-4a4e-7c3d-8f2a-5b6c7d8e9f01',
  datetime: () => '2024-01-15T09:30:00.000Z',
  date: () => '2024-01-15',
};
