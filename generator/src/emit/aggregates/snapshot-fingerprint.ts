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
  // The canonical JSON is printed directly with its keys in sorted order (the text sorting the keys
  // of the equivalent object gives; the fingerprints committed in generated/ pin it): no
  // intermediate objects and no key sorting, since this runs for every aggregate on every save.
  const resolving = new Set<string>();
  const type = (t: FieldType): string => {
    switch (t.kind) {
      case 'ScalarType':
        return `{"scalar":${JSON.stringify(t.name)}}`;
      case 'EnumType':
        return `{"enum":${JSON.stringify(t.values)}}`;
      case 'ListType':
        return `{"list":${type(t.items)}}`;
      case 'ObjectType':
        return `{"object":${fields(t.fields)}}`;
      case 'RefType': {
        if (resolving.has(t.name)) return `{"ref":${JSON.stringify(t.name)}}`;
        resolving.add(t.name);
        const named = index.type(t.name);
        const shape =
          named.kind === 'EnumNode' ? `{"enum":${JSON.stringify(named.values)}}` : `{"object":${fields(named.fields)}}`;
        resolving.delete(t.name);
        return `{"ref":${JSON.stringify(t.name)},"shape":${shape}}`;
      }
    }
  };
  // Keys in order: default/initial, name, optional, type.
  const member = (first: string, value: JsonValue | undefined, name: string, optional: boolean, t: FieldType) =>
    `{${value !== undefined ? `"${first}":${canonicalJson(value)},` : ''}"name":${JSON.stringify(name)},"optional":${optional},"type":${type(t)}}`;
  const fields = (list: readonly FieldNode[]): string =>
    `[${list.map((f) => member('default', f.default, f.name, f.optional, f.type)).join(',')}]`;
  const state = `[${aggregate.state.map((f) => member('initial', f.initial, f.name, f.optional, f.type)).join(',')}]`;
  const events = index
    .eventsOf(aggregate)
    .sort((a, b) => byString(a.name, b.name))
    .map((e) => {
      const history = e.history.map(
        (h) =>
          `{"fields":${fields(h.fields)},"upcast":${
            h.upcast.kind === 'CustomUpcastNode' ? '"custom"' : canonicalJson(h.upcast.steps.map(withoutSource))
          },"version":${JSON.stringify(h.version)}}`,
      );
      const renamedFrom = JSON.stringify([...e.renamedFrom].sort(byString));
      return `{"fields":${fields(e.fields)},"history":[${history.join(',')}],"name":${JSON.stringify(e.name)},"renamedFrom":${renamedFrom},"version":${JSON.stringify(e.version)}}`;
    });
  const text = `{"events":[${events.join(',')}],"state":${state}}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
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
