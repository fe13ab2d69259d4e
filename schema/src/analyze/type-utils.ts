import { EnumType, ObjectType, type FieldNode, type FieldType, type TypeNode } from '../model.js';

/** Replaces a reference by the structure it names (one level); unknown references stay as they are. */
export function resolveType(type: FieldType, types: ReadonlyMap<string, TypeNode>): FieldType {
  if (type.kind !== 'RefType') return type;
  const named = types.get(type.name);
  if (!named) return type;
  return named.kind === 'EnumNode'
    ? EnumType.create({ values: named.values })
    : ObjectType.create({ fields: named.fields });
}

/** Structural type equality: references compare by name, or by structure against inline types. */
export function sameType(a: FieldType, b: FieldType, types: ReadonlyMap<string, TypeNode>, depth = 0): boolean {
  if (depth > 32) return true; // recursive types: equal so far
  if (a.kind === 'RefType' && b.kind === 'RefType' && a.name === b.name) return true;
  const x = resolveType(a, types);
  const y = resolveType(b, types);
  if (x.kind !== y.kind) return false;
  switch (x.kind) {
    case 'ScalarType':
      return y.kind === 'ScalarType' && x.name === y.name;
    case 'RefType':
      return y.kind === 'RefType' && x.name === y.name;
    case 'EnumType':
      return (
        y.kind === 'EnumType' && x.values.length === y.values.length && x.values.every((v) => y.values.includes(v))
      );
    case 'ListType':
      return y.kind === 'ListType' && sameType(x.items, y.items, types, depth + 1);
    case 'ObjectType': {
      if (y.kind !== 'ObjectType' || x.fields.length !== y.fields.length) return false;
      return x.fields.every((f) => {
        const g = y.fields.find((h) => h.name === f.name);
        return g !== undefined && g.optional === f.optional && sameType(f.type, g.type, types, depth + 1);
      });
    }
  }
}

/** The fields of an object type (inline or a referenced value object), or undefined. */
export function objectFields(type: FieldType, types: ReadonlyMap<string, TypeNode>): readonly FieldNode[] | undefined {
  const resolved = resolveType(type, types);
  return resolved.kind === 'ObjectType' ? resolved.fields : undefined;
}

/** The enum values of an enum type (inline or referenced), or undefined. */
export function enumValues(type: FieldType, types: ReadonlyMap<string, TypeNode>): readonly string[] | undefined {
  const resolved = resolveType(type, types);
  return resolved.kind === 'EnumType' ? resolved.values : undefined;
}

/**
 * Whether a value of type `from` (an older version) is still a valid `to`: the same scalar, an
 * enum that gained values, or an object whose new fields are optional or have defaults.
 */
export function isCompatibleType(
  from: FieldType,
  to: FieldType,
  types: ReadonlyMap<string, TypeNode>,
  depth = 0,
): boolean {
  if (depth > 32) return true;
  if (from.kind === 'RefType' && to.kind === 'RefType' && from.name === to.name) return true;
  const x = resolveType(from, types);
  const y = resolveType(to, types);
  if (x.kind !== y.kind) return false;
  switch (x.kind) {
    case 'ScalarType':
      return y.kind === 'ScalarType' && x.name === y.name;
    case 'RefType':
      return y.kind === 'RefType' && x.name === y.name;
    case 'EnumType':
      return y.kind === 'EnumType' && x.values.every((v) => y.values.includes(v));
    case 'ListType':
      return y.kind === 'ListType' && isCompatibleType(x.items, y.items, types, depth + 1);
    case 'ObjectType': {
      if (y.kind !== 'ObjectType') return false;
      if (!x.fields.every((f) => y.fields.some((g) => g.name === f.name))) return false;
      return y.fields.every((g) => {
        const f = x.fields.find((h) => h.name === g.name);
        const fillable = g.optional || g.default !== undefined;
        if (!f) return fillable;
        if (f.optional && f.default === undefined && !fillable) return false;
        return isCompatibleType(f.type, g.type, types, depth + 1);
      });
    }
  }
}
