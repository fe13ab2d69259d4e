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
export function sameType(a: FieldType, b: FieldType, types: ReadonlyMap<string, TypeNode>): boolean {
  return matchTypes(a, b, types, {
    enums: (x, y) => x.length === y.length && x.every((v) => y.includes(v)),
    objects: (x, y, match) =>
      x.length === y.length &&
      x.every((f) => {
        const g = y.find((h) => h.name === f.name);
        return g !== undefined && g.optional === f.optional && match(f.type, g.type);
      }),
  });
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
export function isCompatibleType(from: FieldType, to: FieldType, types: ReadonlyMap<string, TypeNode>): boolean {
  return matchTypes(from, to, types, {
    enums: (x, y) => x.every((v) => y.includes(v)),
    objects: (x, y, match) =>
      x.every((f) => y.some((g) => g.name === f.name)) &&
      y.every((g) => {
        const f = x.find((h) => h.name === g.name);
        const fillable = g.optional || g.default !== undefined;
        if (!f) return fillable;
        if (f.optional && f.default === undefined && !fillable) return false;
        return match(f.type, g.type);
      }),
  });
}

/** How {@link matchTypes} compares what differs between equality and compatibility. */
interface TypeMatch {
  readonly enums: (x: readonly string[], y: readonly string[]) => boolean;
  /** `match` compares two field types by the same rules, one level deeper. */
  readonly objects: (
    x: readonly FieldNode[],
    y: readonly FieldNode[],
    match: (a: FieldType, b: FieldType) => boolean,
  ) => boolean;
}

/**
 * Walks `a` and `b` together: references of one name match, others are compared by structure
 * (one level resolved at a time); scalars match by name, lists by their items, enums and objects
 * by `rules`.
 */
function matchTypes(
  a: FieldType,
  b: FieldType,
  types: ReadonlyMap<string, TypeNode>,
  rules: TypeMatch,
  depth = 0,
): boolean {
  if (depth > 32) return true; // recursive types: a match so far
  if (a.kind === 'RefType' && b.kind === 'RefType' && a.name === b.name) return true;
  const x = resolveType(a, types);
  const y = resolveType(b, types);
  const match = (p: FieldType, q: FieldType) => matchTypes(p, q, types, rules, depth + 1);
  switch (x.kind) {
    case 'ScalarType':
      return y.kind === 'ScalarType' && x.name === y.name;
    case 'RefType':
      return y.kind === 'RefType' && x.name === y.name;
    case 'EnumType':
      return y.kind === 'EnumType' && rules.enums(x.values, y.values);
    case 'ListType':
      return y.kind === 'ListType' && match(x.items, y.items);
    case 'ObjectType':
      return y.kind === 'ObjectType' && rules.objects(x.fields, y.fields, match);
  }
}
