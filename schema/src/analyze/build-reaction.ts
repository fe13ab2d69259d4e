import {
  CustomReactionNode,
  DeclarativeReactionNode,
  EventFieldExpr,
  ItemExpr,
  LiteralExpr,
  METADATA_KEYS,
  METADATA_TYPES,
  MetadataExpr,
  ReactionParamNode,
  ScalarType,
  type AggregateNode,
  type EventNode,
  type FieldNode,
  type FieldType,
  type MetadataKey,
  type ReactionExpr,
  type ReactionNode,
  type SourceLocation,
} from '../model.js';
import { didYouMean, listChoices } from '../suggest.js';
import type { PathSegment } from '../yaml/yaml-path.js';
import type { BuildContext } from './build-context.js';
import { asMap } from './build-fields.js';
import { coerceLiteral } from './literals.js';
import { typeText } from './type-expression.js';
import { isCompatibleType, objectFields, resolveType } from './type-utils.js';

interface RawReaction {
  readonly description?: string;
  readonly when: string;
  readonly run: string;
  readonly to?: unknown;
  readonly forEach?: string;
  readonly with?: Record<string, unknown> | null;
}

/** A value a reaction expression reads: its type, and whether it may be absent. */
interface Typed {
  readonly type: FieldType;
  readonly nullable: boolean;
}

const STRING = ScalarType.create({ name: 'string' });

/**
 * Builds a reaction and checks every reference at its YAML line: the triggering event, the
 * command, the target id, each parameter (known, of the right type, none required left out).
 */
export function buildReaction(
  ctx: BuildContext,
  name: string,
  raw: unknown,
  aggregates: ReadonlyMap<string, AggregateNode>,
  declaredAggregates: ReadonlySet<string>,
): ReactionNode | undefined {
  const path: PathSegment[] = ['reactions', name];
  const reaction = raw as RawReaction;
  let ok = ctx.checkTopLevelName(name, 'Reaction', path);
  const event = triggeringEvent(ctx, reaction.when, [...path, 'when']);
  if (!event) ok = false;

  if (reaction.run === 'custom') {
    for (const key of ['to', 'forEach', 'with'] as const) {
      if (reaction[key] === undefined) continue;
      ctx.report(
        'TYPE.MISPLACED_PROPERTY',
        `"${key}" only applies to a reaction that runs a command, but "${name}" is \`run: custom\`.`,
        `Remove "${key}" (the hand-written handler decides), or name the command: \`run: Aggregate.command\`.`,
        ctx.at([...path, key]),
      );
      ok = false;
    }
    if (!ok || !event) return undefined;
    return CustomReactionNode.create({
      name,
      description: reaction.description,
      event: event.name,
      source: ctx.at(path),
    });
  }

  const [aggregateName, commandName] = reaction.run.split('.') as [string, string];
  const aggregate = aggregates.get(aggregateName);
  const command = aggregate?.commands.find((c) => c.name === commandName);
  if (!aggregate && declaredAggregates.has(aggregateName)) return undefined; // invalid: reported there
  if (!aggregate || !command) {
    const runAt = ctx.at([...path, 'run'], 'value');
    if (!aggregate) {
      const names = [...declaredAggregates];
      ctx.report(
        'REACTION.UNKNOWN_COMMAND',
        `Unknown aggregate "${aggregateName}".${didYouMean(aggregateName, names)}`,
        `Write \`run: <Aggregate>.<command>\` with one of the aggregates: ${listChoices(names)}.`,
        runAt,
      );
    } else {
      const names = aggregate.commands.map((c) => c.name);
      ctx.report(
        'REACTION.UNKNOWN_COMMAND',
        `Aggregate "${aggregateName}" has no command "${commandName}".${didYouMean(commandName, names)}`,
        names.length > 0
          ? `Run one of ${aggregateName}'s commands: ${listChoices(names)}, or declare "${commandName}" under \`aggregates.${aggregateName}.commands\`.`
          : `Declare "${commandName}" under \`aggregates.${aggregateName}.commands\`.`,
        runAt,
      );
    }
    return undefined;
  }
  if (!event) return undefined;

  const reader = new ExpressionReader(ctx, event);
  let forEach: EventFieldExpr | undefined;
  if (reaction.forEach !== undefined) {
    const listPath = reaction.forEach.slice('data.'.length).split('.');
    const at = ctx.at([...path, 'forEach'], 'value');
    const list = reader.eventField(listPath, at);
    if (!list) return undefined;
    const resolved = resolveType(list.type, ctx.scope.types);
    if (resolved.kind !== 'ListType') {
      ctx.report(
        'REACTION.TYPE_MISMATCH',
        `data.${listPath.join('.')} is a ${typeText(list.type)}, not a list, so \`forEach\` cannot go through it.`,
        'Name a list field of the event, or leave out `forEach` to run the command once.',
        at,
      );
      return undefined;
    }
    forEach = EventFieldExpr.create({ path: listPath });
    reader.item = { type: resolved.items, nullable: list.nullable };
  }

  const target = reader.read(reaction.to, ctx.at([...path, 'to'], 'value'));
  if (!target) ok = false;
  else if (!isCompatible(target, { type: STRING, nullable: false }, ctx, true)) {
    ctx.report(
      'REACTION.TYPE_MISMATCH',
      `The aggregate id (\`to\`) must be a string or uuid, but ${target.text} is ${describeType(target.typed)}.`,
      `Name a field that holds ${aggregateName}'s id, e.g. \`data.${camel(aggregateName)}Id\`.`,
      ctx.at([...path, 'to'], 'value'),
    );
    ok = false;
  }

  const params: ReactionParamNode[] = [];
  const given = asMap(reaction.with);
  for (const [paramName, rawValue] of Object.entries(given)) {
    const paramPath = [...path, 'with', paramName];
    const param = command.params.find((p) => p.name === paramName);
    if (!param) {
      const names = command.params.map((p) => p.name);
      ctx.report(
        'REACTION.UNKNOWN_PARAM',
        `Command "${aggregateName}.${commandName}" has no parameter "${paramName}".${didYouMean(paramName, names)}`,
        names.length > 0
          ? `Use its parameters: ${listChoices(names)}.`
          : `"${aggregateName}.${commandName}" takes no parameters; remove \`with\`.`,
        ctx.at(paramPath),
      );
      ok = false;
      continue;
    }
    const value = reader.read(rawValue, ctx.at(paramPath, 'value'), param);
    if (!value) {
      ok = false;
      continue;
    }
    const expected = { type: param.type, nullable: param.optional || param.default !== undefined };
    if (!isCompatible(value, expected, ctx, false)) {
      const mayBeAbsent = value.typed.nullable && !expected.nullable;
      ctx.report(
        'REACTION.TYPE_MISMATCH',
        mayBeAbsent
          ? `${value.text} may be absent, but parameter "${paramName}" of ${aggregateName}.${commandName} is required.`
          : `Parameter "${paramName}" of ${aggregateName}.${commandName} is ${describeType(expected)}, but ${value.text} is ${describeType(value.typed)}.`,
        mayBeAbsent
          ? `Make the parameter optional (\`${typeText(param.type)}?\`) or give it a default, or pass a field that is always there.`
          : `Pass a value of type ${typeText(param.type)}.`,
        ctx.at(paramPath, 'value'),
      );
      ok = false;
      continue;
    }
    params.push(ReactionParamNode.create({ name: paramName, value: value.expr, source: ctx.at(paramPath) }));
  }
  const missing = command.params.filter((p) => !p.optional && p.default === undefined && !(p.name in given));
  if (missing.length > 0) {
    const names = missing.map((p) => p.name);
    ctx.report(
      'REACTION.MISSING_PARAM',
      `${aggregateName}.${commandName} needs ${names.length === 1 ? 'parameter' : 'parameters'} ${names.map((n) => `"${n}"`).join(', ')}, which \`with\` does not give.`,
      `Add ${names.map((n) => `\`${n}: <expression>\``).join(', ')} under \`with\` (e.g. \`data.${names[0]}\`).`,
      ctx.at(reaction.with ? [...path, 'with'] : [...path, 'run']),
    );
    ok = false;
  }

  if (!ok || !target) return undefined;
  return DeclarativeReactionNode.create({
    name,
    description: reaction.description,
    event: event.name,
    aggregate: aggregateName,
    command: commandName,
    target: target.expr,
    forEach,
    params,
    source: ctx.at(path),
  });
}

/** The event named by `when` (`Event` or `Aggregate.Event`), reported at the value when unknown. */
function triggeringEvent(ctx: BuildContext, when: string, path: readonly PathSegment[]): EventNode | undefined {
  const where = ctx.at(path, 'value');
  const parts = when.split('.');
  const eventName = parts[parts.length - 1]!;
  const aggregateName = parts.length === 2 ? parts[0] : undefined;
  const event = ctx.scope.events.get(eventName);
  if (!event) {
    if (ctx.scope.eventNames.has(eventName)) return undefined; // declared but invalid: reported there
    const renamedTo = ctx.scope.renamedEvents.get(eventName);
    ctx.report(
      'REACTION.UNKNOWN_EVENT',
      renamedTo
        ? `Event "${eventName}" was renamed to "${renamedTo}".`
        : `Unknown event "${eventName}".${didYouMean(eventName, ctx.scope.eventNames)}`,
      renamedTo
        ? `Use the current name "${renamedTo}".`
        : `React to one of the declared events: ${listChoices(ctx.scope.eventNames)}.`,
      where,
    );
    return undefined;
  }
  if (aggregateName !== undefined && aggregateName !== event.aggregate) {
    // `Other.Created` when Other's "Created" is a duplicate of another aggregate's: already reported.
    if (ctx.scope.duplicateNames.has(eventName)) return undefined;
    ctx.report(
      'REACTION.UNKNOWN_EVENT',
      `Event "${eventName}" belongs to aggregate "${event.aggregate}", not "${aggregateName}".`,
      `Write \`when: ${event.aggregate}.${eventName}\` (or just \`${eventName}\`).`,
      where,
    );
    return undefined;
  }
  return event;
}

/** Reads reaction expressions against the triggering event (and the `forEach` item). */
class ExpressionReader {
  item: Typed | undefined;
  constructor(
    readonly ctx: BuildContext,
    readonly event: EventNode,
  ) {}

  /** Parses and types `raw`; `param` gives literals their type. Reports at `where` and returns undefined when wrong. */
  read(
    raw: unknown,
    where: SourceLocation,
    param?: FieldNode,
  ): { expr: ReactionExpr; typed: Typed; text: string } | undefined {
    if (typeof raw === 'string') {
      if (raw.startsWith('data.')) {
        const path = raw.slice(5).split('.');
        const typed = this.eventField(path, where);
        return typed && { expr: EventFieldExpr.create({ path }), typed, text: raw };
      }
      if (raw.startsWith('meta.') && (METADATA_KEYS as readonly string[]).includes(raw.slice(5))) {
        const key = raw.slice(5) as MetadataKey;
        const meta = METADATA_TYPES[key];
        return {
          expr: MetadataExpr.create({ key }),
          typed: { type: ScalarType.create({ name: meta.type }), nullable: meta.nullable },
          text: raw,
        };
      }
      if (raw === 'item' || raw.startsWith('item.')) {
        const path = raw === 'item' ? [] : raw.slice(5).split('.');
        const typed = this.itemField(path, where);
        return typed && { expr: ItemExpr.create({ path }), typed, text: raw };
      }
      return undefined; // the JSON Schema reported it
    }
    const literal =
      typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { value?: unknown }).value : raw;
    if (!param) {
      if (typeof literal === 'string')
        return {
          expr: LiteralExpr.create({ value: literal }),
          typed: { type: STRING, nullable: false },
          text: JSON.stringify(literal),
        };
      this.ctx.report(
        'REACTION.TYPE_MISMATCH',
        `The aggregate id (\`to\`) must be a string, not ${JSON.stringify(literal)}.`,
        'Name a field of the event, e.g. `data.<aggregate>Id`, or write `{ value: "<id>" }`.',
        where,
      );
      return undefined;
    }
    const coerced = coerceLiteral(literal, param.type, param.optional || param.default !== undefined, this.ctx.scope);
    if (!coerced.ok) {
      this.ctx.report(
        'REACTION.TYPE_MISMATCH',
        `The value for parameter "${param.name}" is not a ${typeText(param.type)}: ${coerced.problem}.`,
        `Give a ${typeText(param.type)}, or name a field of the event (\`data.<field>\`).`,
        where,
      );
      return undefined;
    }
    return {
      expr: LiteralExpr.create({ value: coerced.value }),
      typed: { type: param.type, nullable: coerced.value === null },
      text: JSON.stringify(coerced.value),
    };
  }

  eventField(path: readonly string[], where: SourceLocation): Typed | undefined {
    return this.#walk(this.event.fields, path, 'data', where, `Event "${this.event.name}"`);
  }

  itemField(path: readonly string[], where: SourceLocation): Typed | undefined {
    if (!this.item) {
      this.ctx.report(
        'REACTION.UNKNOWN_FIELD',
        '`item` names the current item of `forEach`, but this reaction has no `forEach`.',
        'Add `forEach: data.<list field>`, or read the event itself with `data.<field>`.',
        where,
      );
      return undefined;
    }
    if (path.length === 0) return this.item;
    const fields = objectFields(this.item.type, this.ctx.scope.types);
    if (!fields) {
      this.ctx.report(
        'REACTION.UNKNOWN_FIELD',
        `The items of the \`forEach\` list are ${typeText(this.item.type)}, so "${path[0]}" cannot be read from them.`,
        'Write `item` for the item itself.',
        where,
      );
      return undefined;
    }
    const typed = this.#walk(fields, path, 'item', where, 'The `forEach` item');
    return typed && { type: typed.type, nullable: typed.nullable || this.item.nullable };
  }

  #walk(
    start: readonly FieldNode[],
    path: readonly string[],
    root: string,
    where: SourceLocation,
    owner: string,
  ): Typed | undefined {
    let fields = start;
    let nullable = false;
    let type: FieldType | undefined;
    for (const [i, segment] of path.entries()) {
      const here = [root, ...path.slice(0, i + 1)].join('.');
      const field = fields.find((f) => f.name === segment);
      if (!field) {
        const names = fields.map((f) => f.name);
        this.ctx.report(
          'REACTION.UNKNOWN_FIELD',
          `${owner} has no field "${path.slice(0, i + 1).join('.')}".${didYouMean(segment, names)}`,
          names.length > 0
            ? `Use one of: ${names.map((n) => [root, ...path.slice(0, i), n].join('.')).join(', ')}.`
            : 'Use meta.* or a literal.',
          where,
        );
        return undefined;
      }
      nullable ||= field.optional && field.default === undefined;
      type = field.type;
      if (i < path.length - 1) {
        const inner = objectFields(field.type, this.ctx.scope.types);
        if (!inner) {
          this.ctx.report(
            'REACTION.UNKNOWN_FIELD',
            `${here} is a ${typeText(field.type)}, so "${path[i + 1]}" cannot be read from it.`,
            `Read ${here} itself.`,
            where,
          );
          return undefined;
        }
        fields = inner;
      }
    }
    return type && { type, nullable };
  }
}

/**
 * Whether a value can be passed where `to` is expected: the same or a compatible type, a uuid
 * or another id-like string where a string is expected, and an `…Id` envelope string where a
 * uuid is (the runtime validates the command). Absent values only where absence is allowed.
 */
function isCompatible(
  value: { readonly expr: ReactionExpr; readonly typed: Typed },
  to: Typed,
  ctx: BuildContext,
  isId: boolean,
): boolean {
  const from = value.typed;
  if (from.nullable && !to.nullable) return false;
  const x = resolveType(from.type, ctx.scope.types);
  const y = resolveType(to.type, ctx.scope.types);
  if (x.kind === 'ScalarType' && y.kind === 'ScalarType') {
    if (x.name === y.name) return true;
    const idLike = x.name === 'uuid' || x.name === 'string';
    if (y.name === 'string' && (idLike || (isId && x.name === 'integer'))) return true;
    if (y.name === 'uuid' && x.name === 'string')
      return value.expr.kind === 'MetadataExpr' && value.expr.key.endsWith('Id');
    return x.name === 'integer' && y.name === 'number';
  }
  if (x.kind === 'EnumType' && y.kind === 'ScalarType') return y.name === 'string';
  return isCompatibleType(from.type, to.type, ctx.scope.types);
}

function describeType(typed: Typed): string {
  return `${/^[aeiou]/.test(typeText(typed.type)) ? 'an' : 'a'} ${typeText(typed.type)}${typed.nullable ? ' that may be absent' : ''}`;
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
