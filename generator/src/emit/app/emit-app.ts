import {
  METADATA_TYPES,
  type CustomReactionNode,
  type DeclarativeReactionNode,
  type DomainModel,
  type ReactionExpr,
} from '@eventsmith/schema';
import { DomainIndex } from '../common/domain-index.js';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { aggregateNames, domainProjectionNames } from '../common/names.js';
import { camelCase, docComment, literal, pascalCase, propertyKey, quote } from '../common/naming.js';

const RUNTIME = '@eventsmith/runtime';

/** Names of the symbols in `app.ts` (only this target uses them). */
export function appNames(domain: string) {
  const camel = camelCase(domain);
  const pascal = pascalCase(domain);
  return {
    /** `bankAggregates`: the aggregate specs, by app key. */
    aggregates: `${camel}Aggregates`,
    aggregatesType: `${pascal}Aggregates`,
    customReactions: `${pascal}CustomReactions`,
    reactions: `${camel}Reactions`,
    /** `bankApp(...)`: the definition. */
    definition: `${camel}App`,
    options: `${pascal}AppOptions`,
    create: `create${pascal}App`,
  };
}

/**
 * The app target: `app.ts` holds the domain's app definition as data for the runtime's
 * `createApp` (aggregates with their command schemas and snapshot policies, projection
 * migrations, projections, reactions) and `create<Domain>App(options)`, which passes it on; and
 * a user-owned stub per `run: custom` reaction.
 */
export function emit(model: DomainModel, index: DomainIndex, layout: Layout): GeneratedFile[] {
  if (model.aggregates.length === 0) return [];
  const custom = model.reactions.filter((r): r is CustomReactionNode => r.kind === 'CustomReactionNode');
  return [appFile(model, index, layout), ...custom.map((r) => reactionStub(model, layout, r))];
}

function appFile(model: DomainModel, index: DomainIndex, layout: Layout): GeneratedFile {
  const file = GeneratedFile.generated(layout.app, DomainIndex.sourcesOf(...model.aggregates, ...model.reactions));
  const n = appNames(model.name);
  const d = domainProjectionNames(model.name);

  const specs = model.aggregates.map((aggregate) => {
    const a = aggregateNames(aggregate);
    const from = { file: layout.aggregate(aggregate.name) };
    const commands = aggregate.commands.map(
      (c) => `${propertyKey(c.name)}: ${file.import(a.commandSchema(c.name), from)}`,
    );
    const policy = aggregate.snapshot ? `\n    snapshotPolicy: ${file.import(a.snapshotPolicy, from)},` : '';
    return (
      `  ${camelCase(aggregate.name)}: {\n    aggregateType: ${quote(aggregate.name)},\n` +
      `    commands: { ${commands.join(', ')} },${policy}\n  },`
    );
  });
  file.print(
    `/** The ${model.name} domain's aggregates, by their property on the app (\`app.${camelCase(model.aggregates[0]!.name)}\`), with their commands' schemas. */\n` +
      `export const ${n.aggregates} = {\n${specs.join('\n')}\n};`,
    `/** The aggregates of the ${model.name} app. */\nexport type ${n.aggregatesType} = typeof ${n.aggregates};`,
  );

  const customReactions = model.reactions.filter((r): r is CustomReactionNode => r.kind === 'CustomReactionNode');
  if (customReactions.length > 0) {
    const context = file.importType('ReactionContext', RUNTIME);
    const members = customReactions.map((r) => {
      const event = file.import(r.event, { file: layout.eventsOf(index.event(r.event).aggregate) });
      return `${docComment(`${r.description ?? `The ${r.name} reaction.`} Runs for every ${r.event}.`, '  ')}  readonly ${r.name}: (event: ${event}, context: ${context}<${n.aggregatesType}>) => Promise<void> | void;`;
    });
    file.print(
      `/** The hand-written reactions (\`run: custom\` in the YAML), by name. */\nexport interface ${n.customReactions} {\n${members.join('\n')}\n}`,
    );
  }

  const items: string[] = [];
  const declarative = model.reactions.filter((r): r is DeclarativeReactionNode => r.kind === 'DeclarativeReactionNode');
  if (declarative.length > 0) {
    const dispatchOn = file.import('dispatchOn', RUNTIME);
    for (const r of declarative)
      items.push(declarativeReaction(file, index, layout, r, `${dispatchOn}<${n.aggregatesType}>()`));
  }
  for (const r of customReactions) {
    const event = file.import(r.event, { file: layout.eventsOf(index.event(r.event).aggregate) });
    items.push(
      `{\n  name: ${quote(r.name)},\n  eventTypes: [${quote(r.event)}],\n  handle: (event, context) => handlers.${r.name}(event as ${event}, context),\n}`,
    );
  }
  // Checked when the app is created: without them (plain JavaScript, or a cast), customReaction
  // says which option to pass, rather than a TypeError on the first event, dead-lettered.
  const checked =
    customReactions.length > 0
      ? `  const handlers = {\n${customReactions.map((r) => `    ${r.name}: ${file.import('customReaction', RUNTIME)}(${quote(r.name)}, custom?.${r.name}),\n`).join('')}  };\n`
      : '';
  const hasCustomProjections = model.projections.some((p) => p.handlers.some((h) => h.kind === 'CustomHandlerNode'));
  const params = [
    ...(hasCustomProjections ? [`projections: ${file.importType(d.custom, { file: layout.projectionsIndex })}`] : []),
    ...(customReactions.length > 0 ? [`custom: ${n.customReactions}`] : []),
  ];
  if (items.length > 0) {
    file.print(
      `/** The reactions of the ${model.name} domain (\`reactions:\` in the YAML). */\n` +
        `export function ${n.reactions}(${customReactions.length > 0 ? `custom: ${n.customReactions}` : ''}): ${file.importType('Reaction', RUNTIME)}<${n.aggregatesType}>[] {\n` +
        checked +
        `  return [${items.map((i) => `\n${indent(i, '    ')},`).join('')}\n  ];\n}`,
    );
  }

  const defineApp = file.import('defineApp', RUNTIME);
  const definition = [
    `domain: ${quote(model.name)}`,
    `aggregates: ${n.aggregates}`,
    ...(model.projections.length > 0
      ? [
          shorthand('projectionMigrations', file.import('projectionMigrations', { file: layout.migrationsIndex })),
          hasCustomProjections
            ? `projections: (dependencies) => ${file.import(d.factory, { file: layout.projectionsIndex })}(projections, dependencies)`
            : `projections: () => ${file.import(d.factory, { file: layout.projectionsIndex })}()`,
        ]
      : []),
    ...(items.length > 0 ? [`reactions: ${n.reactions}(${customReactions.length > 0 ? 'custom' : ''})`] : []),
  ];
  file.print(
    `/** The ${model.name} domain's app definition, for \`createApp\` and \`migrateApp\`. */\n` +
      `export function ${n.definition}(${params.join(', ')}) {\n  return ${defineApp}({\n${definition.map((p) => `    ${p},\n`).join('')}  });\n}`,
  );

  const appOptions = file.importType('AppOptions', RUNTIME);
  const appType = file.importType('App', RUNTIME);
  const classes = file.importType('AggregateClasses', RUNTIME);
  const createApp = file.import('createApp', RUNTIME);
  const extra = [
    ...(hasCustomProjections
      ? [
          `  /** The hand-written projection handlers (\`custom\` in the YAML): objects, or factories that receive the app's dependencies. */\n  readonly projections: ${domainProjectionNames(model.name).custom};`,
        ]
      : []),
    ...(customReactions.length > 0
      ? [
          `  /** The hand-written reactions (\`run: custom\` in the YAML). */\n  readonly reactions: ${n.customReactions};`,
        ]
      : []),
  ];
  const pick = [...(hasCustomProjections ? ['projections'] : []), ...(customReactions.length > 0 ? ['reactions'] : [])];
  const first = model.aggregates[0]!;
  const key = camelCase(first.name);
  const command = first.commands[0];
  const typeParam = `Classes extends ${classes}<${n.aggregatesType}> = ${classes}<${n.aggregatesType}>`;
  file.print(
    `/** What {@link ${n.create}} takes: \`createApp\`'s options${extra.length ? ', and the hand-written parts of the domain' : ''}. */\n` +
      (extra.length
        ? `export interface ${n.options}<${typeParam}> extends ${appOptions}<${n.aggregatesType}, Classes> {\n${extra.join('\n')}\n}`
        : `export type ${n.options}<${typeParam}> = ${appOptions}<${n.aggregatesType}, Classes>;`),
    `/**\n * Wires the ${model.name} domain in one call: migrates the event store, projection and subscription\n * tables, runs every projection and reaction, and offers typed commands (\`app.${key}.<command>(id, parameters)\`),\n * \`waitForProjections\` and \`close\`.\n *\n * @example\n * \`\`\`ts\n` +
      ` * const app = await ${n.create}({ store, aggregates: { ${model.aggregates.map((a) => `${camelCase(a.name)}: ${a.name}`).join(', ')} }${pick.map((p) => `, ${p}: { … }`).join('')} });\n` +
      (command
        ? ` * const { position } = await app.${key}.${command.name}(id, { … });\n * await app.waitForProjections({ position });\n`
        : '') +
      ` * await app.close();\n * \`\`\`\n */\n` +
      // async: a wrong option (a custom reaction missing) rejects the promise, as createApp's errors do.
      `export async function ${n.create}<Classes extends ${classes}<${n.aggregatesType}>>(options: ${n.options}<Classes>): Promise<${appType}<${n.aggregatesType}, Classes>> {\n` +
      (pick.length
        ? `  const { ${pick.join(', ')}, ...rest } = options;\n  return ${createApp}(${n.definition}(${pick.join(', ')}), rest);\n}`
        : `  return ${createApp}(${n.definition}(), options);\n}`),
  );
  return file;
}

function declarativeReaction(
  file: GeneratedFile,
  index: DomainIndex,
  layout: Layout,
  r: DeclarativeReactionNode,
  dispatch: string,
): string {
  const event = file.import(r.event, { file: layout.eventsOf(index.event(r.event).aggregate) });
  const usesItem = r.forEach !== undefined;
  const args = usesItem ? '(event, item)' : '(event)';
  const lines = [
    `name: ${quote(r.name)}`,
    `on: ${event}`,
    `aggregate: ${quote(camelCase(r.aggregate))}`,
    `command: ${quote(r.command)}`,
    ...(r.forEach ? [`forEach: (event) => ${code({ kind: 'EventFieldExpr', path: r.forEach.path })}`] : []),
    `id: ${args} => ${code(r.target)}`,
    ...(r.params.length > 0
      ? [`params: ${args} => ({ ${r.params.map((p) => `${propertyKey(p.name)}: ${code(p.value)}`).join(', ')} })`]
      : []),
  ];
  return `${docComment(r.description)}${dispatch}({\n${lines.map((l) => `  ${l},`).join('\n')}\n})`;
}

/** A reaction expression as code over `event` (and `item`). */
function code(expr: ReactionExpr): string {
  switch (expr.kind) {
    case 'EventFieldExpr':
      return `event.data.${expr.path.join('?.')}`;
    case 'ItemExpr':
      return ['item', ...expr.path].join(expr.path.length > 1 ? '?.' : '.');
    case 'MetadataExpr':
      return METADATA_TYPES[expr.key].nullable ? `(event.${expr.key} ?? undefined)` : `event.${expr.key}`;
    case 'LiteralExpr':
      return literal(expr.value);
  }
}

function reactionStub(model: DomainModel, layout: Layout, r: CustomReactionNode): GeneratedFile {
  const n = appNames(model.name);
  const file = GeneratedFile.user(layout.userReaction(r.name), DomainIndex.sourcesOf(r), {
    container: { kind: 'none' },
    members: [],
    owner: r.name,
  });
  const type = file.importType(n.customReactions, { file: layout.index });
  const notWritten = file.import('reactionNotWritten', RUNTIME);
  // Does not compile until the body is written: the error names the reaction (see reactionNotWritten).
  file.print(
    `/**\n * ${r.description ?? `The ${r.name} reaction`}: runs for every ${r.event}, with retries and then the\n * dead-letter queue when it throws. Dispatch commands through \`context.commands\` (they carry the\n * event's correlation and are idempotent per event), in a fixed order.\n * Pass it to \`${n.create}({ …, reactions: { ${r.name}: ${camelCase(r.name)} } })\`.\n */\n` +
      `export const ${camelCase(r.name)}: ${type}[${quote(r.name)}] = async (event, context) => {\n` +
      `  // React to ${r.event}, e.g. await context.commands.<aggregate>.<command>(id, { … }).\n` +
      `  return ${notWritten}(${quote(r.name)});\n};`,
  );
  return file;
}

/** `key: value`, or `key` when both are the same name. */
function shorthand(key: string, value: string): string {
  return key === value ? key : `${key}: ${value}`;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l ? `${by}${l}` : l))
    .join('\n');
}
