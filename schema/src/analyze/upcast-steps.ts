import {
  AddFieldStep,
  CONVERSIONS,
  ConvertStep,
  DropFieldStep,
  FieldNode,
  FlattenStep,
  LiteralExpr,
  METADATA_TYPES,
  MetadataExpr,
  NestStep,
  ObjectType,
  RenameFieldStep,
  ScalarType,
  type ConversionName,
  type FieldType,
  type MetadataKey,
  type SourceLocation,
  type UpcastStep,
} from '../model.js';
import { didYouMean } from '../suggest.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import type { BuildContext } from './build-context.js';
import { coerceLiteral } from './literals.js';
import { typeText } from './type-expression.js';
import { isCompatibleType, objectFields, resolveType, sameType } from './type-utils.js';

/** One declarative step as written in YAML (validated by the JSON Schema). */
export type RawStep =
  | { readonly addField: { readonly field: string; readonly default?: unknown; readonly fromMetadata?: MetadataKey } }
  | { readonly renameField: { readonly from: string; readonly to: string } }
  | { readonly dropField: string | { readonly field: string } }
  | { readonly convert: { readonly field: string; readonly using: ConversionName } }
  | { readonly nest: { readonly fields: readonly string[]; readonly into: string } }
  | { readonly flatten: string | { readonly field: string; readonly prefix?: string } };

interface Lift {
  readonly event: string;
  /** The version being lifted to `version + 1`. */
  readonly version: number;
  readonly from: readonly FieldNode[];
  readonly to: readonly FieldNode[];
  readonly rawSteps: readonly RawStep[];
  readonly path: readonly PathSegment[];
}

/** A field of the payload shape while steps are replayed. */
interface ShapeField {
  readonly type: FieldType;
  readonly optional: boolean;
  readonly source: SourceLocation;
}

/**
 * Replays the declared steps over version `version`'s fields and compares the result with the
 * next version. Reports invalid steps and every breaking difference no step explains.
 * Returns the step nodes, or undefined when anything was reported.
 */
export function liftSteps(ctx: BuildContext, lift: Lift): UpcastStep[] | undefined {
  const before = ctx.errors.length;
  const types = ctx.scope.types;
  const shape = new Map<string, ShapeField>(
    lift.from.map((f) => [f.name, { type: f.type, optional: f.optional && f.default === undefined, source: f.source }]),
  );
  const next = new Map(lift.to.map((f) => [f.name, f]));
  const v = lift.version;
  const steps: UpcastStep[] = [];

  const invalid = (message: string, fix: string, where: SourceLocation) =>
    ctx.report('EVENT.INVALID_STEP', `${lift.event} v${v} → v${v + 1}: ${message}`, fix, where);
  const mustHave = (field: string, where: SourceLocation): ShapeField | undefined => {
    const found = shape.get(field);
    if (!found)
      invalid(
        `there is no field "${field}" at this point.${didYouMean(field, shape.keys())}`,
        `Use one of the fields of v${v} (after the earlier steps): ${[...shape.keys()].join(', ') || '(none)'}.`,
        where,
      );
    return found;
  };
  const mustNotHave = (field: string, where: SourceLocation): boolean => {
    if (!shape.has(field)) return true;
    invalid(
      `field "${field}" already exists at this point.`,
      'Pick a name that is not already a field, or drop/rename the existing field first.',
      where,
    );
    return false;
  };

  for (const [i, raw] of lift.rawSteps.entries()) {
    const stepPath = [...lift.path, 'upcast', i];
    const where = ctx.at(stepPath, 'value');
    if ('addField' in raw) {
      const { field } = raw.addField;
      const target = next.get(field);
      if (!mustNotHave(field, where)) continue;
      if (!target) {
        invalid(
          `v${v + 1} has no field "${field}" to add.${didYouMean(field, next.keys())}`,
          `Add only fields that v${v + 1} declares.`,
          where,
        );
        continue;
      }
      const hasDefault = 'default' in raw.addField && raw.addField.default !== undefined;
      const fromMetadata = raw.addField.fromMetadata;
      if (hasDefault === (fromMetadata !== undefined)) {
        invalid(
          `addField "${field}" needs exactly one of \`default\` and \`fromMetadata\`.`,
          'Write `addField: { field, default: <value> }` or `addField: { field, fromMetadata: occurredAt }`.',
          where,
        );
        continue;
      }
      if (fromMetadata !== undefined) {
        const meta = METADATA_TYPES[fromMetadata];
        const resolved = resolveType(target.type, types);
        const fits =
          resolved.kind === 'ScalarType' &&
          (resolved.name === meta.type ||
            (meta.type === 'string' && resolved.name === 'uuid' && fromMetadata.endsWith('Id')) ||
            (meta.type === 'integer' && resolved.name === 'number') ||
            (meta.type === 'uuid' && resolved.name === 'string'));
        if (!fits) {
          invalid(
            `metadata "${fromMetadata}" is a ${meta.type}, but "${field}" in v${v + 1} is a ${typeText(target.type)}.`,
            `Take a metadata field of type ${typeText(target.type)}, or use \`default:\`.`,
            where,
          );
          continue;
        }
        if (meta.nullable && !target.optional) {
          invalid(
            `metadata "${fromMetadata}" may be absent, but "${field}" is required in v${v + 1}.`,
            `Make "${field}" optional in v${v + 1} (\`${typeText(target.type)}?\`), or use a \`default:\`.`,
            where,
          );
          continue;
        }
        steps.push(AddFieldStep.create({ field, value: MetadataExpr.create({ key: fromMetadata }), source: where }));
      } else {
        const coerced = coerceLiteral(
          (raw.addField as { default?: unknown }).default,
          target.type,
          target.optional,
          ctx.scope,
        );
        if (!coerced.ok) {
          invalid(
            `the default for "${field}" is not a ${typeText(target.type)}: ${coerced.problem}.`,
            `Give a value of type ${typeText(target.type)}.`,
            where,
          );
          continue;
        }
        steps.push(AddFieldStep.create({ field, value: LiteralExpr.create({ value: coerced.value }), source: where }));
      }
      shape.set(field, { type: target.type, optional: target.optional, source: target.source });
    } else if ('renameField' in raw) {
      const { from, to } = raw.renameField;
      const existing = mustHave(from, where);
      if (!existing || !mustNotHave(to, where)) continue;
      renameKey(shape, from, to, existing);
      steps.push(RenameFieldStep.create({ from, to, source: where }));
    } else if ('dropField' in raw) {
      const field = typeof raw.dropField === 'string' ? raw.dropField : raw.dropField.field;
      if (!mustHave(field, where)) continue;
      shape.delete(field);
      steps.push(DropFieldStep.create({ field, source: where }));
    } else if ('convert' in raw) {
      const { field, using } = raw.convert;
      const existing = mustHave(field, where);
      if (!existing) continue;
      const conversion = CONVERSIONS[using];
      const resolved = resolveType(existing.type, types);
      if (resolved.kind !== 'ScalarType' || resolved.name !== conversion.from) {
        invalid(
          `"${using}" converts a ${conversion.from}, but "${field}" is a ${typeText(existing.type)} here.`,
          `Pick a conversion from ${typeText(existing.type)}: ${conversionsFrom(resolved.kind === 'ScalarType' ? resolved.name : '') || 'none exists, use `upcast: custom`'}.`,
          where,
        );
        continue;
      }
      shape.set(field, { ...existing, type: ScalarType.create({ name: conversion.to }) });
      steps.push(ConvertStep.create({ field, conversion: using, source: where }));
    } else if ('nest' in raw) {
      const { fields, into } = raw.nest;
      const moved = fields.map((f) => [f, mustHave(f, where)] as const);
      if (moved.some(([, f]) => !f) || !mustNotHave(into, where)) continue;
      const objectFieldsList = moved.map(([name, f]) =>
        FieldNode.create({ name, type: f!.type, optional: f!.optional, source: f!.source }),
      );
      const entries = [...shape.entries()];
      const firstIndex = entries.findIndex(([k]) => fields.includes(k));
      const kept = entries.filter(([k]) => !fields.includes(k));
      kept.splice(Math.min(firstIndex, kept.length), 0, [
        into,
        { type: ObjectType.create({ fields: objectFieldsList }), optional: false, source: where },
      ]);
      replaceAll(shape, kept);
      steps.push(NestStep.create({ fields, into, source: where }));
    } else if ('flatten' in raw) {
      const field = typeof raw.flatten === 'string' ? raw.flatten : raw.flatten.field;
      const prefix = typeof raw.flatten === 'string' ? '' : (raw.flatten.prefix ?? '');
      const existing = mustHave(field, where);
      if (!existing) continue;
      const inner = objectFields(existing.type, types);
      if (!inner) {
        invalid(
          `"${field}" is a ${typeText(existing.type)}, not an object, so it cannot be flattened.`,
          'Flatten only object fields (inline objects or value objects).',
          where,
        );
        continue;
      }
      const entries = [...shape.entries()];
      const index = entries.findIndex(([k]) => k === field);
      const added: [string, ShapeField][] = inner.map((f) => [
        prefix + f.name,
        { type: f.type, optional: f.optional || existing.optional, source: where },
      ]);
      const clash = added.find(([k]) => k !== field && shape.has(k));
      if (clash) {
        invalid(
          `flattening "${field}" would overwrite field "${clash[0]}".`,
          'Give `prefix:` so the moved fields get distinct names.',
          where,
        );
        continue;
      }
      entries.splice(index, 1, ...added);
      replaceAll(shape, entries);
      steps.push(FlattenStep.create({ field, prefix, source: where }));
    }
  }
  if (ctx.errors.length > before) return undefined;
  compareShapes(ctx, lift, shape, next);
  return ctx.errors.length > before ? undefined : steps;
}

function compareShapes(
  ctx: BuildContext,
  lift: Lift,
  shape: Map<string, ShapeField>,
  next: Map<string, FieldNode>,
): void {
  const v = lift.version;
  const types = ctx.scope.types;
  const upcastAt = `${lift.event}.history.${v}.upcast`;
  const removed = [...shape.keys()].filter((k) => !next.has(k));
  const added = [...next.values()].filter((f) => !shape.has(f.name));
  const breaking = (message: string, fix: string, where: SourceLocation) =>
    ctx.report('EVENT.BREAKING_CHANGE', `${lift.event} v${v} → v${v + 1}: ${message}`, fix, where);

  for (const name of removed) {
    const old = shape.get(name)!;
    const renamedTo = added.find((f) => sameType(f.type, old.type, types));
    breaking(
      renamedTo
        ? `field "${name}" is not in v${v + 1}, and "${renamedTo.name}" is new; no step renames or drops it.`
        : `field "${name}" is not in v${v + 1} and no step drops it.`,
      renamedTo
        ? `If it was renamed, add \`- renameField: { from: ${name}, to: ${renamedTo.name} }\` to ${upcastAt}; otherwise \`- dropField: ${name}\`.`
        : `Add \`- dropField: ${name}\` to ${upcastAt} (or \`renameField\` if it was renamed).`,
      old.source,
    );
  }
  for (const field of added) {
    if (field.optional || field.default !== undefined) continue;
    const renamedFrom = removed.find((k) => sameType(shape.get(k)!.type, field.type, types));
    if (renamedFrom) continue; // reported above as a rename
    breaking(
      `v${v + 1} requires "${field.name}", which v${v} lacks, and no step adds it.`,
      `Add \`- addField: { field: ${field.name}, default: … }\` (or \`fromMetadata:\`) to ${upcastAt}, make "${field.name}" optional, or give it a default.`,
      field.source,
    );
  }
  for (const [name, old] of shape) {
    const now = next.get(name);
    if (!now) continue;
    if (!isCompatibleType(old.type, now.type, types)) {
      const from = resolveType(old.type, types);
      const to = resolveType(now.type, types);
      const conversion =
        from.kind === 'ScalarType' && to.kind === 'ScalarType' ? conversionBetween(from.name, to.name) : undefined;
      breaking(
        `field "${name}" changes type from ${typeText(old.type)} to ${typeText(now.type)} and no step converts it.`,
        conversion
          ? `Add \`- convert: { field: ${name}, using: ${conversion} }\` to ${upcastAt}.`
          : `No built-in conversion exists from ${typeText(old.type)} to ${typeText(now.type)}; use \`upcast: custom\` for v${v}.`,
        now.source,
      );
    } else if (old.optional && !now.optional && now.default === undefined) {
      breaking(
        `field "${name}" is optional in v${v} but required in v${v + 1}, without a default.`,
        `Give "${name}" a default in v${v + 1}, keep it optional, or use \`upcast: custom\` to fill it.`,
        now.source,
      );
    }
  }
}

function renameKey(shape: Map<string, ShapeField>, from: string, to: string, value: ShapeField): void {
  replaceAll(
    shape,
    [...shape.entries()].map(([k, f]) => (k === from ? [to, value] : [k, f])),
  );
}

function replaceAll(shape: Map<string, ShapeField>, entries: readonly (readonly [string, ShapeField])[]): void {
  shape.clear();
  for (const [k, f] of entries) shape.set(k, f);
}

function conversionBetween(from: string, to: string): ConversionName | undefined {
  return (Object.keys(CONVERSIONS) as ConversionName[]).find(
    (c) => CONVERSIONS[c].from === from && CONVERSIONS[c].to === to,
  );
}

function conversionsFrom(from: string): string {
  return (Object.keys(CONVERSIONS) as ConversionName[]).filter((c) => CONVERSIONS[c].from === from).join(', ');
}
