import type {
  AggregateNode,
  CommandNode,
  DomainModel,
  EventNode,
  FieldType,
  JsonValue,
  StateFieldNode,
} from '@eventsmith/schema';
import { DomainIndex } from '../common/domain-index.js';
import { indentTail, zodField, type TypeContext } from '../common/field-types.js';
import { GeneratedFile, type MemberStub } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { aggregateNames, eventNames } from '../common/names.js';
import { docComment, literal, propertyKey, quote } from '../common/naming.js';
import { snapshotFingerprint } from './snapshot-fingerprint.js';

const RUNTIME = '@eventsmith/runtime';

/**
 * The aggregates target. Per aggregate:
 * - `aggregates/<name>.ts`, always rewritten: state schema and type, initial state, event union,
 *   command parameter types, and an abstract base class with typed `raise…` helpers that declares
 *   one abstract handler per event, so a subclass missing one does not compile (the error names
 *   the handler, `on<Event>`), and lists the events in `handledEventTypes`, so that
 *   `AggregateRoot` refuses a handler without its `@handles` decorator;
 * - a user-owned skeleton class in the user folder, created once and later only added to.
 */
export function emit(model: DomainModel, index: DomainIndex, layout: Layout): GeneratedFile[] {
  if (model.aggregates.length === 0) return [];
  return model.aggregates.flatMap((aggregate) => [
    generatedPart(index, layout, aggregate),
    skeleton(index, layout, aggregate),
  ]);
}

function generatedPart(index: DomainIndex, layout: Layout, aggregate: AggregateNode): GeneratedFile {
  const events = index.eventsOf(aggregate);
  const file = GeneratedFile.generated(layout.aggregate(aggregate.name), DomainIndex.sourcesOf(aggregate, ...events));
  const ctx: TypeContext = { file, layout, index };
  const n = aggregateNames(aggregate);
  const z = file.import('z', RUNTIME);
  const eventFile = { file: layout.eventsOf(aggregate.name) };

  const stateFields = aggregate.state.map(
    (f) =>
      `${docComment(f.description, '  ')}  ${propertyKey(f.name)}: ${indentTail(zodField(ctx, { type: f.type, optional: f.optional }))},`,
  );
  file.print(
    `/** The state of ${aggregate.name}. Restores snapshots too (ISO strings become \`Date\`s again). */\n` +
      `export const ${n.stateSchema} = ${z}.object({${stateFields.length ? `\n${stateFields.join('\n')}\n` : ''}});`,
    `${docComment(aggregate.description ? `The state of ${aggregate.name}: ${aggregate.description}` : `The state of ${aggregate.name}.`)}export type ${n.state} = ${z}.output<typeof ${n.stateSchema}>;`,
    `/** The state of a new ${aggregate.name}, before any event. */\nexport function ${n.initialState}(): ${n.state} {\n  return ${n.stateSchema}.parse(${literal(initialState(index, aggregate.state))});\n}`,
  );

  const classes = events.map((e) => file.import(e.name, eventFile));
  file.print(
    `/** Every event ${aggregate.name} raises. */\nexport type ${n.union} = ${classes.length ? classes.join(' | ') : 'never'};`,
    `/** The classes of {@link ${n.union}}, in declaration order. */\nexport const ${n.classes} = [${classes.join(', ')}] as const;`,
  );

  if (aggregate.snapshot) {
    const every = file.import('everyNEvents', RUNTIME);
    file.print(
      `/**\n * Snapshot after every ${aggregate.snapshot.every} events (\`snapshot.every\` in the YAML).\n *\n * @example\n * \`\`\`ts\n * new AggregateRepository(store, ${aggregate.name}, { snapshots: { store: snapshots, policy: ${n.snapshotPolicy} } });\n * \`\`\`\n */\n` +
        `export const ${n.snapshotPolicy} = ${every}(${aggregate.snapshot.every});`,
    );
  }

  for (const command of aggregate.commands) {
    const params = command.params.map(
      (p) => `${docComment(p.description, '  ')}  ${propertyKey(p.name)}: ${indentTail(zodField(ctx, p))},`,
    );
    file.print(
      `/** Parameters of \`${aggregate.name}.${command.name}\`${command.description ? `: ${command.description}` : '.'} */\n` +
        `export const ${n.commandSchema(command.name)} = ${z}.object({${params.length ? `\n${params.join('\n')}\n` : ''}});\n` +
        `/** What \`${aggregate.name}.${command.name}\` receives: the parameters, checked, with their defaults applied. */\n` +
        `export type ${n.command(command.name)} = ${z}.output<typeof ${n.commandSchema(command.name)}>;\n` +
        `/** What a caller of \`${aggregate.name}.${command.name}\` passes (parameters with defaults may be left out). */\n` +
        `export type ${n.commandInput(command.name)} = ${z}.input<typeof ${n.commandSchema(command.name)}>;`,
    );
  }

  const root = file.import('AggregateRoot', RUNTIME);
  const eventInit = file.importType('EventInit', RUNTIME);
  const members: string[] = [
    `  static override readonly aggregateType = ${quote(aggregate.name)};`,
    `  static override readonly stateVersion: number = ${aggregate.stateVersion};`,
    `  static override readonly stateSchema = ${n.stateSchema};`,
    ...(aggregate.commands.length > 0
      ? [
          `  /** Each command method is called with its parameters parsed by these schemas (defaults applied; bad input is a \`CommandValidationError\`). */\n` +
            `  static override readonly commandSchemas = { ${aggregate.commands.map((c) => `${propertyKey(c.name)}: ${n.commandSchema(c.name)}`).join(', ')} };`,
        ]
      : []),
    `  /**\n   * Fingerprint of the state schema and the event versions and upcast steps in the YAML. A snapshot\n   * taken under another one is ignored and the aggregate replays in full. Handler code is not in\n   * it: bump \`stateVersion\` in the YAML when a handler changes what it computes.\n   */\n` +
      `  static override readonly snapshotFingerprint: string = ${quote(snapshotFingerprint(index, aggregate))};`,
    `  static override readonly handledEventTypes: readonly string[] = [${events.map((e) => quote(e.name)).join(', ')}];`,
    `  protected override initialState(): ${n.state} {\n    return ${n.initialState}();\n  }`,
  ];
  for (const e of events) {
    const cls = file.import(e.name, eventFile);
    members.push(
      `  /** Applies ${e.name}: returns the state after it. Decorate the implementation with \`@handles(${e.name})\`. */\n` +
        `  abstract ${n.handler(e.name)}(event: ${cls}): ${n.state};`,
    );
  }
  for (const e of events) {
    const cls = file.import(e.name, eventFile);
    const input = file.importType(eventNames(e).input, eventFile);
    members.push(raiseMethod(aggregate, e, { cls, input, eventInit }));
  }
  file.print(
    `/**\n * The generated half of ${aggregate.name}: extend it in the user-owned class, which adds the\n * \`@handles\` methods and the commands. A subclass missing a handler does not compile.\n */\n` +
      `export abstract class ${n.base} extends ${root}<${n.state}> {\n${members.join('\n\n')}\n}`,
  );
  return file;
}

/**
 * `raise<Event>(data, init?)`. Fields declared `{ from: state.<field> }` are left out of `data` and
 * taken from the state as it is when the event is raised. A required field read from an optional
 * state field is cast: the event's schema refuses the payload (naming the field) if it is absent.
 */
function raiseMethod(
  aggregate: AggregateNode,
  event: EventNode,
  names: { readonly cls: string; readonly input: string; readonly eventInit: string },
): string {
  const n = aggregateNames(aggregate);
  const fromState = event.fields.filter((f) => f.from !== undefined);
  const doc = `  /** Raises ${event.name} (stamped with this aggregate's id and next version) and applies it. */\n`;
  if (fromState.length === 0) {
    return (
      doc +
      `  protected ${n.raise(event.name)}(data: ${names.input}, init?: ${names.eventInit}): void {\n    this.raise(new ${names.cls}(data, init));\n  }`
    );
  }
  const omitted = fromState.map((f) => quote(f.name)).join(' | ');
  const assigned = fromState.map((f) => `${propertyKey(f.name)}: this.state.${f.from!.field}`).join(', ');
  const mayBeAbsent = fromState.some(
    (f) => !f.optional && aggregate.state.find((s) => s.name === f.from!.field)?.optional === true,
  );
  const payload = `{ ...data, ${assigned} }${mayBeAbsent ? ` as ${names.input}` : ''}`;
  return (
    `  /**\n   * Raises ${event.name} (stamped with this aggregate's id and next version) and applies it.\n` +
    `   * ${fromState.map((f) => `\`${f.name}\``).join(', ')} ${fromState.length === 1 ? 'is' : 'are'} taken from the state (\`from: state.…\` in the YAML).\n   */\n` +
    `  protected ${n.raise(event.name)}(data: Omit<${names.input}, ${omitted}>, init?: ${names.eventInit}): void {\n` +
    `    this.raise(new ${names.cls}(${payload}, init));\n  }`
  );
}

function skeleton(index: DomainIndex, layout: Layout, aggregate: AggregateNode): GeneratedFile {
  const events = index.eventsOf(aggregate);
  const n = aggregateNames(aggregate);
  const members: MemberStub[] = [];
  const path = layout.userAggregate(aggregate.name);
  const stubs: { stub: MemberStub; uses: (file: GeneratedFile) => void }[] = [];
  for (const command of aggregate.commands) {
    stubs.push({
      stub: { name: command.name, text: commandStub(aggregate, command) },
      uses: (file) => {
        file.import('commandNotWritten', RUNTIME);
        if (command.params.length) file.importType(n.command(command.name), { file: layout.index });
      },
    });
  }
  for (const e of events) {
    stubs.push({
      stub: {
        name: n.handler(e.name),
        handles: e.name,
        // Does not compile until the body is written: the error names the handler (see handlerNotWritten).
        text: `@handles(${e.name})\n${n.handler(e.name)}(event: ${e.name}): ${n.state} {\n  // Return the state after ${e.name}, e.g. { ...this.state, … } using event.data.\n  return handlerNotWritten(${quote(`${aggregate.name}.${n.handler(e.name)}`)});\n}`,
      },
      uses: (file) => {
        file.import('handles', RUNTIME);
        file.import('handlerNotWritten', RUNTIME);
        file.import(e.name, { file: layout.index });
        file.importType(n.state, { file: layout.index });
      },
    });
  }
  members.push(...stubs.map((s) => s.stub));
  const file = GeneratedFile.user(path, DomainIndex.sourcesOf(aggregate, ...events), {
    container: { kind: 'class', name: n.cls },
    members,
    handledEvents: events.map((e) => e.name),
    owner: aggregate.name,
    // Every aggregate's: another aggregate's command type may share this one's prefix (Order, OrderLine).
    commandTypes: {
      typePrefix: aggregate.name,
      exported: index.model.aggregates.flatMap((a) => a.commands.map((c) => aggregateNames(a).command(c.name))),
    },
  });
  const base = file.import(n.base, { file: layout.index });
  for (const s of stubs) s.uses(file);
  const body = members.map((m) => indent(m.text)).join('\n\n');
  file.print(
    `${docComment(`${aggregate.description ?? aggregate.name}\n\nCommands check the state and raise events; \`@handles\` methods return the next state.`)}` +
      `export class ${n.cls} extends ${base} {\n${body}\n}`,
  );
  return file;
}

function commandStub(aggregate: AggregateNode, command: CommandNode): string {
  const n = aggregateNames(aggregate);
  const param = command.params.length ? `command: ${n.command(command.name)}` : '';
  const raises = command.emits.map((e) => `this.${n.raise(e)}({ … })`).join(' or ');
  return (
    `${docComment(`${command.description ? `${command.description} ` : ''}May raise ${command.emits.join(', ') || 'no event'}.`)}` +
    `${command.name}(${param}): void {\n  // TODO: check this.state${command.params.length ? ' and `command`' : ''}, then ${raises || 'raise an event'}.\n` +
    `  commandNotWritten(${quote(`${aggregate.name}.${command.name}`)});\n}`
  );
}

/** Initial state values: `initial` when given, the type's zero value otherwise, absent when optional. */
function initialState(index: DomainIndex, fields: readonly StateFieldNode[]): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const f of fields) {
    if (f.initial !== undefined) out[f.name] = f.initial;
    else if (!f.optional) {
      const zero = zeroValue(index, f.type);
      if (zero !== undefined) out[f.name] = zero;
    }
  }
  return out;
}

function zeroValue(index: DomainIndex, type: FieldType): JsonValue | undefined {
  switch (type.kind) {
    case 'ScalarType':
      return ({ string: '', integer: 0, number: 0, decimal: '0', boolean: false } as Record<string, JsonValue>)[
        type.name
      ];
    case 'ListType':
      return [];
    default:
      return undefined;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
}
