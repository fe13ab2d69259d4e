import { DomainIndex } from '../common/domain-index.js';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { registryNames, stepNames } from '../common/names.js';
import { byString, quote } from '../common/naming.js';

const RUNTIME = '@eventsmith/runtime';

/**
 * `registry.ts`: the domain's event classes, their union, aliases for renamed types, and
 * `create<Domain>Registry`, which wires the generated declarative steps and *receives* the
 * hand-written ones, so generated code never imports user code.
 */
export function emitRegistry(index: DomainIndex, layout: Layout): GeneratedFile {
  const model = index.model;
  const file = GeneratedFile.generated(
    layout.registry,
    model.sources.map((s) => s.path),
  );
  const n = registryNames(model.name);
  const events = index.events;
  const classes = events.map((e) => file.import(e.name, { file: layout.eventsOf(e.aggregate) }));
  file.print(
    `/** Every event class of the ${model.name} domain, sorted by type name. */\nexport const ${n.classes} = [${classes.join(', ')}] as const;`,
    `/** Any event of the ${model.name} domain. */\nexport type ${n.union} = ${classes.length ? classes.join(' | ') : 'never'};`,
  );
  const aliases = events
    .flatMap((e) => e.renamedFrom.map((old) => [old, e.name] as const))
    .sort((a, b) => byString(a[0], b[0]));
  file.print(
    `/** Old event type names, read as the event they were renamed to. */\nexport const ${n.aliases}: Readonly<Record<string, string>> = {${aliases.map(([o, e]) => `\n  ${o}: ${quote(e)},`).join('')}${aliases.length ? '\n' : ''}};`,
  );

  const steps: string[] = [];
  const upcaster = () => file.import('upcaster', RUNTIME);
  const custom: { key: string; type: string; event: string; from: number }[] = [];
  for (const event of events) {
    for (const old of event.history) {
      const s = stepNames(event, old.version);
      if (old.upcast.kind === 'CustomUpcastNode') {
        const type = file.importType(s.type, { file: layout.upcastersOf(event.name) });
        custom.push({ key: s.key, type, event: event.name, from: old.version });
        steps.push(`${upcaster()}(${quote(event.name)}, ${old.version}, options.upcasters.${s.key})`);
      } else {
        steps.push(
          `${upcaster()}(${quote(event.name)}, ${old.version}, ${file.import(s.fn, { file: layout.upcastersOf(event.name) })})`,
        );
      }
    }
  }
  const registry = file.import('EventRegistry', RUNTIME);
  if (custom.length > 0) {
    const eventsmithError = file.import('EventsmithError', RUNTIME);
    file.print(
      `/** The hand-written upcast steps (\`upcast: custom\` in the YAML) the registry needs. */\nexport interface ${n.custom} {\n${custom.map((c) => `  /** ${c.event} v${c.from} → v${c.from + 1}. */\n  readonly ${c.key}: ${c.type};`).join('\n')}\n}`,
      `/** Stand-ins that throw for every custom step: for tests that exercise some of them only. */\nexport const ${n.placeholders}: ${n.custom} = {\n${custom
        .map((c) => {
          const message = quote(
            `The custom upcaster ${c.key} was not provided; pass it to ${n.factory}({ upcasters }).`,
          );
          return `  ${c.key}: () => {\n    throw new ${eventsmithError}('UPCAST.NOT_PROVIDED', ${message});\n  },`;
        })
        .join('\n')}\n};`,
      `export interface ${n.options} {\n  /** One function per custom step; the compiler checks each signature. */\n  readonly upcasters: ${n.custom};\n}`,
    );
  }
  const example = custom.length
    ? `const registry = ${n.factory}({ upcasters: { ${custom.map((c) => `${c.key}: ${stepNames({ name: c.event }, c.from).fn}`).join(', ')} } });`
    : `const registry = ${n.factory}();`;
  file.print(
    `/**\n * The event registry of the ${model.name} domain: every event class, the upcaster chains and the\n * aliases of renamed types. Stores and buses decode (and upcast) with it.\n *\n * @example\n * \`\`\`ts\n * ${example}\n * const store = new InMemoryEventStore({ registry });\n * \`\`\`\n */\n` +
      `export function ${n.factory}(${custom.length ? `options: ${n.options}` : ''}): ${registry} {\n` +
      `  return ${registry}.create({\n    events: ${n.classes},\n    upcasters: [${steps.join(', ')}],\n    aliases: ${n.aliases},\n  });\n}`,
  );
  return file;
}
