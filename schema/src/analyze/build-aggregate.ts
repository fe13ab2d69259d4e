import {
  AggregateNode,
  CommandNode,
  SnapshotPolicyNode,
  StateFieldNode,
  type FieldType,
  type JsonValue,
} from '../model.js';
import { didYouMean, listChoices } from '../suggest.js';
import type { BuildContext } from './build-context.js';
import { asMap, asNameList, buildFields, buildFieldType, type RawField } from './build-fields.js';
import { coerceLiteral } from './literals.js';
import { typeText } from './type-expression.js';
import { resolveType } from './type-utils.js';

interface RawAggregate {
  readonly description?: string;
  readonly snapshot?: { readonly every: number };
  readonly stateVersion?: number;
  readonly state?: Record<string, unknown> | null;
  readonly commands?: Record<string, unknown> | null;
  readonly events?: Record<string, unknown> | null;
}

interface RawCommand {
  readonly description?: string;
  readonly params?: Record<string, unknown> | null;
  readonly emits?: string | readonly string[];
}

/**
 * Builds an aggregate. `eventOwners` maps every declared event name to its aggregate, so that
 * commands can only emit this aggregate's events.
 */
export function buildAggregate(
  ctx: BuildContext,
  name: string,
  raw: unknown,
  eventOwners: ReadonlyMap<string, string>,
): AggregateNode | undefined {
  const path = ['aggregates', name];
  const agg = (raw ?? {}) as RawAggregate;
  let ok = ctx.checkTopLevelName(name, 'Aggregate', path);

  const state: StateFieldNode[] = [];
  for (const [fieldName, rawField] of Object.entries(asMap(agg.state))) {
    if (ctx.isPoisoned([...path, 'state', fieldName])) {
      ok = false;
      continue;
    }
    const field = buildStateField(ctx, fieldName, rawField as RawField, [...path, 'state', fieldName]);
    if (field) state.push(field);
    else ok = false;
  }

  const commands: CommandNode[] = [];
  for (const [commandName, rawCommand] of Object.entries(asMap(agg.commands))) {
    const commandPath = [...path, 'commands', commandName];
    if (ctx.isPoisoned(commandPath)) {
      ok = false;
      continue;
    }
    const command = (rawCommand ?? {}) as RawCommand;
    const nameOk = ctx.checkCommandName(commandName, commandPath);
    const params = buildFields(ctx, command.params, [...commandPath, 'params'], 'Parameter');
    const emits = asNameList(command.emits);
    const emitsOk = checkEmits(ctx, name, emits, [...commandPath, 'emits'], eventOwners, Array.isArray(command.emits));
    if (!nameOk || !params || !emitsOk) {
      ok = false;
      continue;
    }
    commands.push(
      CommandNode.create({
        name: commandName,
        description: command.description,
        params,
        emits,
        source: ctx.at(commandPath),
      }),
    );
  }

  if (!ok || ctx.isPoisoned([...path, 'snapshot']) || ctx.isPoisoned([...path, 'stateVersion'])) return undefined;
  return AggregateNode.create({
    name,
    description: agg.description,
    state,
    events: Object.keys(asMap(agg.events)),
    snapshot: agg.snapshot
      ? SnapshotPolicyNode.create({ every: agg.snapshot.every, source: ctx.at([...path, 'snapshot']) })
      : undefined,
    stateVersion: agg.stateVersion ?? 1,
    commands,
    source: ctx.at(path),
  });
}

function buildStateField(
  ctx: BuildContext,
  name: string,
  raw: RawField,
  path: readonly (string | number)[],
): StateFieldNode | undefined {
  const nameOk = ctx.checkTsName(name, 'State field', path);
  const typed = buildFieldType(ctx, raw, path);
  if (!typed || !nameOk) return undefined;
  const long = typeof raw === 'object' && raw !== null ? raw : undefined;
  let initial: JsonValue | undefined;
  if (long && long.initial !== undefined) {
    const coerced = coerceLiteral(long.initial, typed.type, typed.optional, ctx.scope);
    if (!coerced.ok) {
      ctx.report(
        'TYPE.INVALID_VALUE',
        `The initial value of "${name}" is not a ${typeText(typed.type)}: ${coerced.problem}.`,
        `Give an initial value of type ${typeText(typed.type)}.`,
        ctx.at([...path, 'initial'], 'value'),
      );
      return undefined;
    }
    initial = coerced.value;
  } else if (!typed.optional) {
    initial = zeroValue(typed.type, ctx);
    if (initial === undefined) {
      ctx.report(
        'AGGREGATE.MISSING_INITIAL',
        `State field "${name}" (${typeText(typed.type)}) has no initial value, and ${typeText(typed.type)} has no natural zero.`,
        `Write \`${name}: { type: ${typeText(typed.type)}, initial: … }\`, or make it optional: \`${name}: ${typeText(typed.type)}?\`.`,
        ctx.at(path),
      );
      return undefined;
    }
  }
  return StateFieldNode.create({
    name,
    type: typed.type,
    optional: typed.optional,
    initial,
    description: long?.description,
    source: ctx.at(path),
  });
}

function zeroValue(type: FieldType, ctx: BuildContext): JsonValue | undefined {
  const resolved = resolveType(type, ctx.scope.types);
  if (resolved.kind === 'ListType') return [];
  if (resolved.kind !== 'ScalarType') return undefined;
  switch (resolved.name) {
    case 'string':
      return '';
    case 'integer':
    case 'number':
      return 0;
    case 'decimal':
      return '0';
    case 'boolean':
      return false;
    default:
      return undefined;
  }
}

function checkEmits(
  ctx: BuildContext,
  aggregate: string,
  emits: readonly string[],
  path: readonly (string | number)[],
  owners: ReadonlyMap<string, string>,
  isList: boolean,
): boolean {
  let ok = true;
  const ownEvents = () => [...owners].filter(([, owner]) => owner === aggregate).map(([event]) => event);
  for (const [i, event] of emits.entries()) {
    const where = ctx.at(isList ? [...path, i] : path, 'value');
    const owner = owners.get(event);
    const renamedTo = ctx.scope.renamedEvents.get(event);
    if (owner !== aggregate && ctx.scope.duplicateNames.has(event)) {
      // This aggregate's own declaration of the name is the duplicate, already reported.
      ok = false;
    } else if (owner === undefined && renamedTo !== undefined) {
      ctx.report(
        'EVENT.UNKNOWN',
        `Event "${event}" was renamed to "${renamedTo}".`,
        `Use the current name "${renamedTo}".`,
        where,
      );
      ok = false;
    } else if (owner === undefined) {
      const own = ownEvents();
      ctx.report(
        'EVENT.UNKNOWN',
        `Unknown event "${event}".${didYouMean(event, own.length > 0 ? own : owners.keys())}`,
        `Emit one of ${aggregate}'s events: ${listChoices(own)}, or declare "${event}" under \`aggregates.${aggregate}.events\`.`,
        where,
      );
      ok = false;
    } else if (owner !== aggregate) {
      ctx.report(
        'AGGREGATE.FOREIGN_EVENT',
        `Event "${event}" belongs to aggregate "${owner}", not "${aggregate}".`,
        `A command can only emit its own aggregate's events: ${listChoices(ownEvents())}.`,
        where,
      );
      ok = false;
    } else if (ctx.scope.events.get(event)?.retired) {
      ctx.report(
        'EVENT.RETIRED',
        `Event "${event}" is retired: no command raises it any more.`,
        `Remove "${event}" from emits, or remove \`retired: true\` from the event if it is raised again.`,
        where,
      );
      ok = false;
    }
  }
  return ok;
}
