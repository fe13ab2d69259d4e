import type { DomainModel, EventNode, EventVersionNode, JsonValue } from '@eventsmith/schema';
import { DomainIndex } from '../common/domain-index.js';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { eventNames, registryNames, stepNames } from '../common/names.js';
import { literal, propertyKey, quote } from '../common/naming.js';
import { applySteps, sampleForVersion, stepsCode, type RecordLike } from './steps.js';

const RUNTIME = '@eventsmith/runtime';
const RUNTIME_TESTING = '@eventsmith/runtime/testing';

/**
 * The upcasters target: per versioned event, the step function types, declarative steps as
 * code (calling the runtime's `conversions`) and a sample payload per old version; golden tests; and a
 * user-owned stub (plus a test) for every `custom` step.
 */
export function emit(model: DomainModel, index: DomainIndex, layout: Layout): GeneratedFile[] {
  const versioned = index.events.filter((e) => e.history.length > 0);
  const files: GeneratedFile[] = [];
  for (const event of versioned) {
    files.push(...upcasterFiles(layout, index, model.name, event));
  }
  if (versioned.length > 0) files.push(goldenTest(layout, index, versioned));
  return files;
}

/** The event's step file, and a user-owned stub (and its test) per custom step. */
function upcasterFiles(layout: Layout, index: DomainIndex, domain: string, event: EventNode): GeneratedFile[] {
  const file = GeneratedFile.generated(layout.upcastersOf(event.name), DomainIndex.sourcesOf(event));
  const stubs: GeneratedFile[] = [];
  for (const old of event.history) {
    file.print(versionBlock(file, layout, index, event, old));
    if (old.upcast.kind === 'CustomUpcastNode') stubs.push(...customStub(layout, domain, event, old));
  }
  return [...stubs, file];
}

function versionBlock(
  file: GeneratedFile,
  layout: Layout,
  index: DomainIndex,
  event: EventNode,
  old: EventVersionNode,
): string {
  const names = stepNames(event, old.version);
  const ev = eventNames(event);
  const events = layout.eventsOf(event.aggregate);
  const from = file.importType(ev.version(old.version), { file: events });
  const to = file.importType(ev.version(old.version + 1), { file: events });
  const record = file.importType('EventRecord', RUNTIME);
  const parts = [
    `/** Lifts a stored ${event.name} v${old.version} payload to v${old.version + 1}. */\nexport type ${names.type} = (data: ${from}, record: ${record}) => ${to};`,
    `/** A stored ${event.name} v${old.version} payload, for tests. */\n${sampleConst(`export const ${names.sample}: ${from} = `, sampleForVersion(index, old))}`,
  ];
  if (old.upcast.kind === 'DeclarativeUpcastNode') {
    const body = stepsCode({ file, layout, index }, old, old.upcast);
    const usesRecord = /\brecord\b/.test(body);
    parts.push(
      `/** ${event.name} v${old.version} → v${old.version + 1}, from the declarative steps in the YAML. */\n` +
        `export const ${names.fn}: ${names.type} = (data${usesRecord ? ', record' : ''}) => {\n${indentLines(body)}\n};`,
    );
  }
  return parts.join('\n\n');
}

/**
 * The record stored with every golden sample (metadata steps read from it): the runtime's
 * `upcasterGoldenEnvelope`, which the emitted golden tests use. A unit test keeps the two equal.
 */
export const GOLDEN_RECORD: RecordLike & { readonly [key: string]: JsonValue } = {
  eventId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',
  aggregateId: 'golden-1',
  aggregateVersion: 1,
  occurredAt: '2024-01-15T09:30:00.000Z',
  tenantId: 'tenant-golden',
  actorId: 'actor-golden',
  correlationId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',
  causationId: null,
};

function goldenTest(layout: Layout, index: DomainIndex, events: EventNode[]): GeneratedFile {
  const file = GeneratedFile.generated(layout.goldenTest, DomainIndex.sourcesOf(...events));
  const describeGoldens = file.import('describeUpcasterGoldens', RUNTIME_TESTING);
  const createRegistry = file.import(registryNames(index.model.name).factory, { file: layout.registry });
  const hasCustom = events.some((e) => e.history.some((h) => h.upcast.kind === 'CustomUpcastNode'));
  const placeholders = hasCustom
    ? file.import(registryNames(index.model.name).placeholders, { file: layout.registry })
    : '';
  const entries = events.map((event) => {
    const lifts: string[] = [];
    const custom: string[] = [];
    for (const old of event.history) {
      const chain = event.history.filter((h) => h.version >= old.version);
      const customStep = chain.find((h) => h.upcast.kind === 'CustomUpcastNode');
      if (customStep) {
        custom.push(
          `{ from: ${old.version}, step: ${customStep.version}, testedBeside: ${quote(layout.userUpcaster(event.name, customStep.version))} }`,
        );
        continue;
      }
      let expected: JsonValue = sampleForVersion(index, old);
      for (const step of chain)
        expected = applySteps(
          index,
          step,
          step.upcast as Extract<typeof step.upcast, { kind: 'DeclarativeUpcastNode' }>,
          expected,
          { ...GOLDEN_RECORD, eventType: event.name, eventVersion: step.version, aggregateType: event.aggregate },
        );
      const sample = file.import(stepNames(event, old.version).sample, { file: layout.upcastersOf(event.name) });
      lifts.push(`{ from: ${old.version}, sample: ${sample}, expected: ${literal(expected)} }`);
    }
    const props = [`event: ${file.import(event.name, { file: layout.eventsOf(event.aggregate) })}`];
    if (lifts.length > 0) props.push(`lifts: [${lifts.join(', ')}]`);
    if (event.renamedFrom.length > 0) props.push(`renamedFrom: [${event.renamedFrom.map(quote).join(', ')}]`);
    if (custom.length > 0) props.push(`custom: [${custom.join(', ')}]`);
    return `{ ${props.join(', ')} }`;
  });
  file.print(
    `${describeGoldens}(${createRegistry}(${hasCustom ? `{ upcasters: ${placeholders} }` : ''}), [${entries.join(', ')}]);`,
  );
  return file;
}

function customStub(layout: Layout, domain: string, event: EventNode, old: EventVersionNode): GeneratedFile[] {
  const names = stepNames(event, old.version);
  const path = layout.userUpcaster(event.name, old.version);
  const sources = DomainIndex.sourcesOf(event);
  const file = GeneratedFile.user(path, sources, { container: { kind: 'none' }, members: [], owner: event.name });
  const type = file.importType(names.type, { file: layout.index });
  const notWritten = file.import('upcasterNotWritten', RUNTIME);
  file.print(
    `/**\n * ${event.name} v${old.version} → v${old.version + 1}, written by hand (\`upcast: custom\` in the YAML).\n` +
      ` * Pass it to \`${registryNames(domain).factory}({ upcasters: { ${names.key}: ${names.fn} } })\`.\n */\n` +
      `export const ${names.fn}: ${type} = (data, record) => {\n` +
      `  // Return the v${old.version + 1} payload, built from \`data\` (and \`record\` for envelope values).\n` +
      // Does not compile until the body is written: the error names the upcaster (see upcasterNotWritten).
      `  return ${notWritten}(${quote(`${event.name} v${old.version} → v${old.version + 1}`)});\n};`,
  );
  const test = GeneratedFile.user(layout.userUpcasterTest(event.name, old.version), sources, {
    container: { kind: 'none' },
    members: [],
    owner: event.name,
  });
  const vitest = (n: string) => test.import(n, 'vitest');
  const create = test.import(registryNames(domain).factory, { file: layout.index });
  const placeholders = test.import(registryNames(domain).placeholders, { file: layout.index });
  const sample = test.import(names.sample, { file: layout.index });
  const cls = test.import(event.name, { file: layout.index });
  const fn = test.import(names.fn, { file: path });
  test.print(
    `${vitest('describe')}(${quote(`${names.fn} (custom upcaster)`)}, () => {\n` +
      `  ${vitest('it')}(${quote(`lifts the v${old.version} sample to a valid current ${event.name}`)}, () => {\n` +
      `    const registry = ${create}({ upcasters: { ...${placeholders}, ${names.key}: ${fn} } });\n` +
      `    const event = registry.decode({\n      eventId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',\n      eventType: ${quote(event.name)},\n      eventVersion: ${old.version},\n` +
      `      aggregateId: 'golden-1',\n      aggregateType: ${quote(event.aggregate)},\n      aggregateVersion: 1,\n      occurredAt: '2024-01-15T09:30:00.000Z',\n` +
      `      tenantId: null,\n      actorId: null,\n      correlationId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',\n      causationId: null,\n      metadata: {},\n      data: ${sample},\n    });\n` +
      `    ${vitest('expect')}(event).toBeInstanceOf(${cls});\n  });\n});`,
  );
  return [file, test];
}

/** Event versions whose step is hand-written. */
export function customSteps(model: DomainModel): { event: EventNode; version: EventVersionNode }[] {
  return new DomainIndex(model).events.flatMap((event) =>
    event.history.filter((h) => h.upcast.kind === 'CustomUpcastNode').map((version) => ({ event, version })),
  );
}

/** `head{ a: 1, b: 2 };` */
function sampleConst(head: string, value: { [key: string]: JsonValue }): string {
  const entries = Object.entries(value).map(([key, v]) => `${propertyKey(key)}: ${literal(v)}`);
  return `${head}{${entries.length ? ` ${entries.join(', ')} ` : ''}};`;
}

function indentLines(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}
