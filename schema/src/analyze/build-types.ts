import { EnumNode, ValueObjectNode, type FieldType, type TypeNode } from '../model.js';
import type { BuildContext } from './build-context.js';
import { buildFields, checkEnumValues } from './build-fields.js';

interface RawNamedType {
  readonly enum?: readonly string[];
  readonly fields?: Record<string, unknown> | null;
  readonly description?: string;
}

/** Builds one entry of `types:`. */
export function buildNamedType(ctx: BuildContext, name: string, raw: unknown): TypeNode | undefined {
  const path = ['types', name];
  const named = raw as RawNamedType;
  const nameOk = ctx.checkTopLevelName(name, 'Type', path);
  if (named.enum !== undefined) {
    const valuesOk = checkEnumValues(ctx, named.enum, [...path, 'enum']);
    return nameOk && valuesOk
      ? EnumNode.create({ name, description: named.description, values: [...named.enum], source: ctx.at(path) })
      : undefined;
  }
  const fields = buildFields(ctx, named.fields, [...path, 'fields']);
  if (!fields || !nameOk) return undefined;
  return ValueObjectNode.create({ name, description: named.description, fields, source: ctx.at(path) });
}

/**
 * Finds value objects that contain themselves (directly or through other value objects and
 * lists): such types cannot be generated as plain zod schemas. Returns each cycle once, as
 * the list of type names starting with the smallest.
 */
export function findTypeCycles(types: ReadonlyMap<string, TypeNode>): string[][] {
  const edges = new Map<string, string[]>();
  const refs = (type: FieldType, out: string[]): void => {
    if (type.kind === 'RefType') out.push(type.name);
    else if (type.kind === 'ListType') refs(type.items, out);
    else if (type.kind === 'ObjectType') for (const f of type.fields) refs(f.type, out);
  };
  for (const [name, node] of types) {
    const out: string[] = [];
    if (node.kind === 'ValueObjectNode') for (const f of node.fields) refs(f.type, out);
    edges.set(
      name,
      out.filter((n) => types.get(n)?.kind === 'ValueObjectNode'),
    );
  }
  const cycles = new Map<string, string[]>();
  const visit = (start: string, current: string, trail: string[], seen: Set<string>) => {
    for (const next of edges.get(current) ?? []) {
      if (next === start) {
        const cycle = [...trail];
        const min = cycle.reduce((a, b) => (b < a ? b : a));
        const i = cycle.indexOf(min);
        const rotated = [...cycle.slice(i), ...cycle.slice(0, i)];
        cycles.set(rotated.join('>'), rotated);
      } else if (!seen.has(next)) {
        seen.add(next);
        visit(start, next, [...trail, next], seen);
      }
    }
  };
  for (const name of [...edges.keys()].sort()) visit(name, name, [name], new Set([name]));
  return [...cycles.values()];
}
