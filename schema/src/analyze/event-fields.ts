import { FieldNode, StateRefNode, type FieldType } from '../model.js';
import { didYouMean, listChoices } from '../suggest.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import { BuildContext } from './build-context.js';
import { asMap, buildField, buildFieldType, type RawField } from './build-fields.js';
import { typeText } from './type-expression.js';
import { sameType } from './type-utils.js';

/** `{ from: state.bookId, type?, optional?, description? }`, as the JSON Schema allows it. */
interface RawFromState {
  readonly from: string;
  readonly type?: string;
  readonly optional?: boolean;
  readonly description?: string;
}

/**
 * Builds the current version's fields of an event owned by `aggregate`. A field written
 * `{ from: state.<field> }` takes its type from that state field (or states it, and then must
 * match); the reference is checked here, at the `from:` value, against the aggregate's state in
 * the same file (an aggregate and its events are always declared together).
 */
export function buildEventFields(
  ctx: BuildContext,
  raw: unknown,
  path: readonly PathSegment[],
  aggregate: string,
): FieldNode[] | undefined {
  const out: FieldNode[] = [];
  let failed = false;
  for (const [name, rawField] of Object.entries(asMap(raw))) {
    const fieldPath = [...path, name];
    const field = isFromState(rawField)
      ? buildFromState(ctx, name, rawField, fieldPath, aggregate)
      : buildField(ctx, name, rawField as RawField, fieldPath);
    if (field) out.push(field);
    else failed = true;
  }
  return failed ? undefined : out;
}

function isFromState(raw: unknown): raw is RawFromState {
  return typeof raw === 'object' && raw !== null && typeof (raw as { from?: unknown }).from === 'string';
}

function buildFromState(
  ctx: BuildContext,
  name: string,
  raw: RawFromState,
  path: readonly PathSegment[],
  aggregate: string,
): FieldNode | undefined {
  if (!ctx.checkTsName(name, 'Field', path)) return undefined;
  const where = ctx.at([...path, 'from'], 'value');
  const stateName = raw.from.slice('state.'.length);
  const statePath = ['aggregates', aggregate, 'state'];
  const rawState = asMap(asMap(asMap(asMap(ctx.file.value).aggregates)[aggregate]).state);
  if (!Object.hasOwn(rawState, stateName)) {
    const names = Object.keys(rawState);
    ctx.report(
      'EVENT.UNKNOWN_STATE_FIELD',
      `Aggregate "${aggregate}" has no state field "${stateName}".${didYouMean(stateName, names)}`,
      names.length > 0
        ? `Write \`from: state.<field>\` with one of ${aggregate}'s state fields: ${listChoices(names)}, or declare "${stateName}" under \`aggregates.${aggregate}.state\`.`
        : `Declare "${stateName}" under \`aggregates.${aggregate}.state\`, or give the field a type instead of \`from\`.`,
      where,
    );
    return undefined;
  }
  // The state field's own problems are reported when the aggregate is built; build it quietly here.
  if (ctx.isPoisoned([...statePath, stateName])) return undefined;
  const quiet = new BuildContext(ctx.file, ctx.scope, ctx.poisoned);
  const state = buildFieldType(quiet, rawState[stateName], [...statePath, stateName]);
  if (!state) return undefined;

  let type: FieldType = state.type;
  let optional = raw.optional === true;
  if (raw.type !== undefined) {
    const stated = buildFieldType(ctx, raw.type, [...path, 'type']);
    if (!stated) return undefined;
    optional ||= stated.optional;
    if (!sameType(stated.type, state.type, ctx.scope.types)) {
      ctx.report(
        'EVENT.STATE_TYPE_MISMATCH',
        `Field "${name}" has type ${typeText(stated.type)}, but state.${stateName} has type ${typeText(state.type)}.`,
        `Make the types equal, or leave out \`type:\` and "${name}" takes the state field's type (${typeText(state.type)}).`,
        where,
      );
      return undefined;
    }
    type = stated.type;
  }
  return FieldNode.create({
    name,
    type,
    optional,
    description: raw.description,
    from: StateRefNode.create({ field: stateName, source: where }),
    source: ctx.at(path),
  });
}
