/**
 * Robustness: random valid domains (every field type, optional fields and defaults, versioned
 * events with declarative and custom steps, commands, projections with every operation) all
 * generate code that compiles under the repository's strict settings.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { tempProject, tsFiles, typeCheck, writeHandlerStubs, type TempProject } from '../support/temp-project.js';

const FIELD_TYPES = [
  'string',
  'integer',
  'number',
  'decimal',
  'boolean',
  'uuid',
  'datetime',
  'date',
  'Kind',
  'Info',
  'list<string>',
  'list<Info>',
  'inline',
] as const;
const COLUMN: Partial<Record<(typeof FIELD_TYPES)[number], string>> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  decimal: 'decimal',
  boolean: 'boolean',
  uuid: 'uuid',
  datetime: 'datetime',
  date: 'date',
  Kind: 'string',
};
const FIELD_NAMES = ['amount', 'note', 'count', 'label', 'flag', 'ref', 'at', 'day', 'size', 'ratio', 'info', 'tags'];

const field = fc.record({
  name: fc.constantFrom(...FIELD_NAMES),
  type: fc.constantFrom(...FIELD_TYPES),
  optional: fc.boolean(),
});
const event = fc.record({
  fields: fc.uniqueArray(field, { selector: (f) => f.name, minLength: 1, maxLength: 5 }),
  history: fc.constantFrom('none', 'declarative', 'custom'),
  projection: fc.constantFrom('insert', 'upsert', 'update', 'delete', 'custom'),
});
const domain = fc.record({
  events: fc.array(event, { minLength: 1, maxLength: 4 }),
  snapshot: fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
});

function fieldYaml(f: { type: string; optional: boolean }): unknown {
  if (f.type === 'inline')
    return { type: 'object', fields: { x: 'string', y: 'integer?' }, ...(f.optional ? { optional: true } : {}) };
  return `${f.type}${f.optional ? '?' : ''}`;
}

type RandomDomain = typeof domain extends fc.Arbitrary<infer T> ? T : never;

function toDocument(name: string, d: RandomDomain): string {
  const events: Record<string, unknown> = {};
  const commands: Record<string, unknown> = {};
  const handlers: Record<string, unknown> = {};
  const columns: Record<string, unknown> = { id: 'string', seen: { type: 'integer', default: 0 } };
  d.events.forEach((e, i) => {
    const eventName = `Thing${i}Happened`;
    const fields = Object.fromEntries(e.fields.map((f) => [f.name, fieldYaml(f)]));
    const spec: Record<string, unknown> = { fields };
    if (e.history !== 'none') {
      spec['version'] = 2;
      const v1 = { ...fields, legacy: 'string' } as Record<string, unknown>;
      spec['history'] = { 1: { fields: v1, upcast: e.history === 'custom' ? 'custom' : [{ dropField: 'legacy' }] } };
    }
    events[eventName] = spec;
    commands[`do${i}`] = { params: fields, emits: eventName };
    const scalars = e.fields.filter((f) => COLUMN[f.type] !== undefined);
    for (const f of scalars) columns[`c${i}_${f.name}`] = `${COLUMN[f.type]}?`;
    const values = Object.fromEntries(scalars.map((f) => [`c${i}_${f.name}`, `data.${f.name}`]));
    switch (e.projection) {
      case 'insert':
        handlers[eventName] = { insert: { id: 'meta.aggregateId', ...values } };
        break;
      case 'upsert':
        handlers[eventName] = { upsert: { id: 'meta.aggregateId', seen: { increment: 1 }, ...values } };
        break;
      case 'update':
        handlers[eventName] = {
          update: { where: { id: 'meta.aggregateId' }, set: { seen: { increment: 1 }, ...values } },
        };
        break;
      case 'delete':
        handlers[eventName] = { delete: { where: { id: 'meta.aggregateId' } } };
        break;
      case 'custom':
        handlers[eventName] = 'custom';
    }
  });
  return stringify({
    domain: name,
    types: { Kind: { enum: ['A', 'B'] }, Info: { fields: { label: 'string', size: 'integer?' } } },
    aggregates: {
      Widget: {
        ...(d.snapshot ? { snapshot: { every: d.snapshot } } : {}),
        state: { total: 'decimal', kind: { type: 'Kind', initial: 'A' }, lastAt: 'datetime?', names: 'list<string>' },
        commands,
        events,
      },
    },
    projections: { Widgets: { columns, primaryKey: 'id', indexes: [['seen']], on: handlers } },
  });
}

describe('random valid domains', () => {
  let project: TempProject | undefined;
  afterAll(async () => project?.remove());

  it('all generate code that compiles under strict TypeScript', async () => {
    const samples = fc.sample(domain, { numRuns: 12, seed: 20261127 });
    const files: Record<string, string> = {};
    samples.forEach((d, i) => (files[`d${i}/domain.yaml`] = toDocument(`Random${i}`, d)));
    project = await tempProject({});
    for (const [path, text] of Object.entries(files)) await project.write(`domain/${path}`, text);
    await project.write(
      'eventsmith.config.yaml',
      `domains:\n${samples.map((_, i) => `  - input: domain/d${i}\n    output: generated/d${i}\n    userDir: src/d${i}\n`).join('')}`,
    );
    // Random domains may leave a type unused or a column unset: flow warnings, reported but not failures.
    const result = await project.run('generate', '--config', project.config, '--format', 'json');
    expect(result.err).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.out).errors).toEqual([]);
    // Handler and upcaster stubs do not compile until written (each error names its stub); nothing else fails.
    const sources = await tsFiles(project.root);
    const stubs = typeCheck(project.root, sources);
    expect(stubs.length).toBeGreaterThan(0);
    expect(
      stubs.filter(
        (d) =>
          !/^src\/d\d+\/aggregates\/[\w-]+\.ts:\d+ .*HandlerNotWritten<"\w+\.on\w+">/.test(d) &&
          !/^src\/d\d+\/projections\/[\w-]+\.ts:\d+ .*ProjectionHandlerNotWritten<"\w+\.\w+">/.test(d) &&
          !/^src\/d\d+\/upcasters\/[\w-]+\.ts:\d+ .*UpcasterNotWritten<"\w+ v\d+ → v\d+">/.test(d),
      ),
    ).toEqual([]);
    for (const file of sources.filter((f) => /^src\/d\d+\/aggregates\//.test(f))) {
      const text = await project.read(file);
      await project.write(file, writeHandlerStubs(text));
    }
    for (const file of sources.filter((f) => /^src\/d\d+\/projections\//.test(f))) {
      const text = await project.read(file);
      await project.write(file, text.replace(/return projectionHandlerNotWritten\('[\w.]+'\);/g, 'void [event, db];'));
    }
    for (const file of sources.filter((f) => /^src\/d\d+\/upcasters\/[\w-]+-to-v\d+\.ts$/.test(f))) {
      const text = await project.read(file);
      await project.write(file, text.replace(/return upcasterNotWritten\('[\w →]+'\);/g, 'return data as never;'));
    }
    expect(typeCheck(project.root, sources)).toEqual([]);
  }, 240_000);
});
