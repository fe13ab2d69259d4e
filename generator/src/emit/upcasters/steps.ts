import type {
  DeclarativeUpcastNode,
  EventVersionNode,
  FieldType,
  JsonValue,
  MetadataKey,
  UpcastStep,
} from '@eventsmith/schema';
import type { DomainIndex } from '../common/domain-index.js';
import { sampleOf } from '../common/field-types.js';
import type { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { literal, propertyKey } from '../common/naming.js';
import { applyConversion, CONVERSION_SAMPLES } from './conversions.js';

interface Slot {
  readonly type: FieldType;
  readonly optional: boolean;
}
type Shape = Map<string, Slot>;

/**
 * The body of a declarative upcaster: one `const` per step, so the compiler checks the result
 * against the next version's type. `data` and `record` are the function's parameters.
 */
export function stepsCode(
  context: { readonly file: GeneratedFile; readonly layout: Layout; readonly index: DomainIndex },
  version: EventVersionNode,
  upcast: DeclarativeUpcastNode,
): string {
  const shape = shapeOf(version);
  const lines: string[] = [];
  let current = 'data';
  upcast.steps.forEach((step, i) => {
    const next = `step${i + 1}`;
    lines.push(stepCode(context, step, current, next, shape, i + 1));
    applyToShape(context.index, step, shape);
    current = next;
  });
  lines.push(`return ${current};`);
  return lines.join('\n');
}

function stepCode(
  context: { readonly file: GeneratedFile; readonly layout: Layout; readonly index: DomainIndex },
  step: UpcastStep,
  from: string,
  to: string,
  shape: Shape,
  n: number,
): string {
  switch (step.kind) {
    case 'AddFieldStep': {
      const value = step.value.kind === 'LiteralExpr' ? constLiteral(step.value.value) : metadataCode(step.value.key);
      return `const ${to} = { ...${from}, ${propertyKey(step.field)}: ${value} };`;
    }
    case 'RenameFieldStep':
      return `const { ${propertyKey(step.from)}: renamed${n}, ...rest${n} } = ${from};\nconst ${to} = { ...rest${n}, ${propertyKey(step.to)}: renamed${n} };`;
    case 'DropFieldStep':
      return `const { ${propertyKey(step.field)}: _dropped${n}, ...${to} } = ${from};`;
    case 'ConvertStep': {
      const fn = `${context.file.import('conversions', '@eventsmith/runtime')}.${step.conversion}`;
      const access = `${from}.${step.field}`;
      const value = shape.get(step.field)?.optional
        ? `${access} === undefined ? undefined : ${fn}(${access})`
        : `${fn}(${access})`;
      return `const ${to} = { ...${from}, ${propertyKey(step.field)}: ${value} };`;
    }
    case 'NestStep': {
      const picks = step.fields.map((f, i) => `${propertyKey(f)}: nested${n}_${i}`).join(', ');
      const object = step.fields.map((f, i) => `${propertyKey(f)}: nested${n}_${i}`).join(', ');
      return `const { ${picks}, ...rest${n} } = ${from};\nconst ${to} = { ...rest${n}, ${propertyKey(step.into)}: { ${object} } };`;
    }
    case 'FlattenStep': {
      const slot = shape.get(step.field);
      const inner = slot ? (context.index.objectFields(slot.type) ?? []) : [];
      const dot = slot?.optional ? '?.' : '.';
      const spread = inner.map((f) => `${propertyKey(step.prefix + f.name)}: flattened${n}${dot}${f.name}`).join(', ');
      return `const { ${propertyKey(step.field)}: flattened${n}, ...rest${n} } = ${from};\nconst ${to} = { ...rest${n}${spread ? `, ${spread}` : ''} };`;
    }
  }
}

/** A literal whose strings keep their literal types, so `'EUR'` satisfies an enum. */
function constLiteral(value: JsonValue): string {
  if (typeof value === 'string') return `${literal(value)} as const`;
  if (Array.isArray(value)) return `[${value.map(constLiteral).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${propertyKey(k)}: ${constLiteral(v)}`);
    return `{ ${entries.join(', ')} }`;
  }
  return literal(value);
}

function metadataCode(key: MetadataKey): string {
  switch (key) {
    case 'tenantId':
    case 'actorId':
    case 'causationId':
      return `record.${key} ?? undefined`;
    default:
      return `record.${key}`;
  }
}

/**
 * Generator-side semantics of the same steps, on JSON. Used for the expected values of the
 * golden tests, so the emitted code and this interpretation check each other.
 */
export function applySteps(
  index: DomainIndex,
  version: EventVersionNode,
  upcast: DeclarativeUpcastNode,
  data: JsonValue,
  record: RecordLike,
): JsonValue {
  const shape = shapeOf(version);
  let current = { ...(data as { [key: string]: JsonValue }) };
  for (const step of upcast.steps) {
    switch (step.kind) {
      case 'AddFieldStep': {
        const value = step.value.kind === 'LiteralExpr' ? step.value.value : (record[step.value.key] ?? undefined);
        current = { ...current };
        if (value === undefined) delete current[step.field];
        else current[step.field] = value;
        break;
      }
      case 'RenameFieldStep': {
        const { [step.from]: value, ...rest } = current;
        current = value === undefined ? rest : { ...rest, [step.to]: value };
        break;
      }
      case 'DropFieldStep': {
        const { [step.field]: _dropped, ...rest } = current;
        current = rest;
        break;
      }
      case 'ConvertStep': {
        const value = current[step.field];
        if (value !== undefined) current = { ...current, [step.field]: applyConversion(step.conversion, value) };
        break;
      }
      case 'NestStep': {
        const rest = { ...current };
        const nested: { [key: string]: JsonValue } = {};
        for (const f of step.fields) {
          if (rest[f] !== undefined) nested[f] = rest[f]!;
          delete rest[f];
        }
        current = { ...rest, [step.into]: nested };
        break;
      }
      case 'FlattenStep': {
        const { [step.field]: value, ...rest } = current;
        const inner = (value ?? {}) as { [key: string]: JsonValue };
        current = { ...rest };
        for (const [k, v] of Object.entries(inner)) current[step.prefix + k] = v;
        break;
      }
    }
    applyToShape(index, step, shape);
  }
  return current;
}

/** The parts of an `EventRecord` steps may read. */
export type RecordLike = { readonly [K in MetadataKey]?: JsonValue };

/**
 * A sample payload for an old version. Fields a step converts get a sample the conversion
 * accepts (a numeric string before `stringToDecimal`, …), following renames made earlier.
 */
export function sampleForVersion(index: DomainIndex, version: EventVersionNode): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  const convertedOriginals = new Map<string, JsonValue>();
  if (version.upcast.kind === 'DeclarativeUpcastNode') {
    const origin = new Map(version.fields.map((f) => [f.name, f.name]));
    for (const step of version.upcast.steps) {
      if (step.kind === 'RenameFieldStep') {
        const original = origin.get(step.from);
        origin.delete(step.from);
        if (original !== undefined) origin.set(step.to, original);
      } else if (step.kind === 'ConvertStep') {
        const original = origin.get(step.field);
        if (original !== undefined && !convertedOriginals.has(original))
          convertedOriginals.set(original, CONVERSION_SAMPLES[step.conversion]);
      }
    }
  }
  for (const field of version.fields) {
    out[field.name] = convertedOriginals.get(field.name) ?? sampleOf(index, field.type, field.name);
  }
  return out;
}

function shapeOf(version: EventVersionNode): Shape {
  return new Map(
    version.fields.map((f) => [f.name, { type: f.type, optional: f.optional || f.default !== undefined }]),
  );
}

function applyToShape(index: DomainIndex, step: UpcastStep, shape: Shape): void {
  switch (step.kind) {
    case 'AddFieldStep':
      shape.set(step.field, {
        type: { kind: 'ScalarType', name: 'string' },
        optional: step.value.kind === 'MetadataExpr',
      });
      break;
    case 'RenameFieldStep': {
      const slot = shape.get(step.from);
      shape.delete(step.from);
      if (slot) shape.set(step.to, slot);
      break;
    }
    case 'DropFieldStep':
      shape.delete(step.field);
      break;
    case 'ConvertStep':
      break;
    case 'NestStep':
      for (const f of step.fields) shape.delete(f);
      shape.set(step.into, { type: { kind: 'ObjectType', fields: [] }, optional: false });
      break;
    case 'FlattenStep': {
      const slot = shape.get(step.field);
      shape.delete(step.field);
      for (const f of (slot && index.objectFields(slot.type)) ?? []) {
        shape.set(step.prefix + f.name, {
          type: f.type,
          optional: slot!.optional || f.optional || f.default !== undefined,
        });
      }
      break;
    }
  }
}
