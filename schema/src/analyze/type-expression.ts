import { ListType, RefType, SCALAR_TYPES, ScalarType, type FieldType, type ScalarTypeName } from '../model.js';

/** A parsed type expression such as `list<Money>?`. */
export type ParsedTypeExpression =
  | { readonly ok: true; readonly type: FieldType; readonly optional: boolean }
  | { readonly ok: false; readonly problem: string };

const SCALARS: ReadonlySet<string> = new Set(SCALAR_TYPES);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses the short type syntax: a scalar, a type name, `list<T>`, and a trailing `?` for optional.
 * References are not resolved here.
 *
 * @example
 * ```ts
 * parseTypeExpression('list<Money>?'); // { ok: true, optional: true, type: ListType(RefType('Money')) }
 * ```
 */
export function parseTypeExpression(text: string): ParsedTypeExpression {
  let source = text.trim();
  let optional = false;
  if (source.endsWith('?')) {
    optional = true;
    source = source.slice(0, -1).trim();
  }
  const parsed = parseInner(source, 0);
  if ('problem' in parsed) return { ok: false, problem: parsed.problem };
  return { ok: true, type: parsed.type, optional };
}

function parseInner(source: string, depth: number): { type: FieldType } | { problem: string } {
  if (depth > 16) return { problem: 'lists are nested too deeply' };
  if (source === '') return { problem: 'the type is empty' };
  if (source.includes('?'))
    return { problem: 'only the whole field can be optional: write `list<string>?`, not `list<string?>`' };
  const list = /^list\s*<(.*)>$/.exec(source);
  if (list) {
    const inner = parseInner(list[1]!.trim(), depth + 1);
    return 'problem' in inner ? inner : { type: ListType.create({ items: inner.type }) };
  }
  if (source === 'list') return { problem: 'a list needs its item type: `list<string>`' };
  if (source === 'enum') return { problem: 'an inline enum needs the long form: `{ type: enum, values: [A, B] }`' };
  if (source === 'object')
    return { problem: 'an inline object needs the long form: `{ type: object, fields: { … } }`' };
  if (!NAME.test(source)) return { problem: `"${source}" is neither a type name nor \`list<T>\`` };
  if (SCALARS.has(source)) return { type: ScalarType.create({ name: source as ScalarTypeName }) };
  return { type: RefType.create({ name: source }) };
}

/** Renders a type for messages: `decimal`, `list<Money>`, `enum(a|b)`, `{ street: string }`. */
export function typeText(type: FieldType): string {
  switch (type.kind) {
    case 'ScalarType':
      return type.name;
    case 'RefType':
      return type.name;
    case 'ListType':
      return `list<${typeText(type.items)}>`;
    case 'EnumType':
      return `enum(${type.values.join('|')})`;
    case 'ObjectType':
      return `{ ${type.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${typeText(f.type)}`).join(', ')} }`;
  }
}
