import { createHash } from 'node:crypto';
import type { AggregateNode, FieldNode, FieldType, JsonValue, UpcastStep } from '@eventsmith/schema';
import type { DomainIndex } from '../common/domain-index.js';
import { byString } from '../common/naming.js';

/**
 * The fingerprint of what an aggregate's snapshots depend on that the YAML shows: the state
 * schema (fields, types with named types resolved, optionality, initial values) and, per event
 * of the aggregate, its name, renames, current version and fields, and every older version with
 * its fields and upcast steps (or `custom`). A snapshot stored with another fingerprint was taken
 * under another schema, so the runtime ignores it and replays the stream.
 *
 * Descriptions, source locations, commands, projections and the snapshot policy are left out:
 * changing them does not change what a replay computes. The code of handlers and of custom
 * upcasters is not in the YAML either; `stateVersion` covers it.
 *
 * The hash is the first 16 hex digits of the SHA-256 of a canonical JSON (sorted keys), so it is
 * the same for the same YAML on every machine.
 */
export function snapshotFingerprint(index: DomainIndex, aggregate: AggregateNode): string {
  const resolving = new Set<string>();
  const type = (t: FieldType): JsonValue => {
    switch (t.kind) {
      case 'ScalarType':
        return { scalar: t.name };
      case 'EnumType':
        return { enum: [...t.values] };
      case 'ListType':
        return { list: type(t.items) };
      case 'ObjectType':
        return { object: t.fields.map(field) };
      case 'RefType': {
        if (resolving.has(t.name)) return { ref: t.name };
        resolving.add(t.name);
        const named = index.type(t.name);
        const shape: JsonValue =
          named.kind === 'EnumNode' ? { enum: [...named.values] } : { object: named.fields.map(field) };
        resolving.delete(t.name);
        return { ref: t.name, shape };
      }
    }
  };
  const field = (f: FieldNode): JsonValue => ({
    name: f.name,
    type: type(f.type),
    optional: f.optional,
    ...(f.default !== undefined ? { default: f.default } : {}),
  });
  const parts: JsonValue = {
    state: aggregate.state.map((f) => ({
      name: f.name,
      type: type(f.type),
      optional: f.optional,
      ...(f.initial !== undefined ? { initial: f.initial } : {}),
    })),
    events: index
      .eventsOf(aggregate)
      .sort((a, b) => byString(a.name, b.name))
      .map((e) => ({
        name: e.name,
        renamedFrom: [...e.renamedFrom].sort(byString),
        version: e.version,
        fields: e.fields.map(field),
        history: e.history.map((h) => ({
          version: h.version,
          fields: h.fields.map(field),
          upcast: h.upcast.kind === 'CustomUpcastNode' ? 'custom' : h.upcast.steps.map(withoutSource),
        })),
      })),
  };
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 16);
}

/** An upcast step as JSON without its source location (its other members are JSON-like values). */
function withoutSource(step: UpcastStep): JsonValue {
  const { source: _source, ...rest } = step;
  return rest as unknown as JsonValue;
}

/** JSON with object keys sorted, so equal values always give equal text. */
function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as { readonly [key: string]: JsonValue };
    return `{${Object.keys(record)
      .sort(byString)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
