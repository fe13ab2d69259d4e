import { loadDomain, type DomainModel } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { formatFiles } from '../format/format-files.js';
import { upcasterGoldenEnvelope } from '@eventsmith/runtime/testing';
import { GOLDEN_RECORD } from './upcasters/emit-upcasters.js';
import { applySteps, sampleForVersion } from './upcasters/steps.js';
import { DomainIndex } from './common/domain-index.js';
import { emitDomain, parseSnapshot, type GeneratedFile } from './index.js';

const OPTIONS = { outDir: 'gen', userDir: 'src' };

function model(yaml: string): DomainModel {
  const result = loadDomain([{ path: 'd.yaml', text: yaml }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.value;
}

const SMALL = `domain: Shop
types:
  Currency: { enum: [EUR, USD] }
  Address: { fields: { street: string, city: string } }
aggregates:
  Order:
    state: { total: decimal, status: { type: enum, values: [open, done], initial: open } }
    commands:
      place: { params: { total: decimal }, emits: Placed }
    events:
      Placed:
        version: 2
        renamedFrom: [Created]
        fields:
          total: decimal
          currency: Currency
          address: Address
          placedBy: string?
          count: integer
        history:
          1:
            fields: { amount: number, street: string, city: string, legacy: string, count: string }
            upcast:
              - renameField: { from: amount, to: total }
              - convert: { field: total, using: numberToDecimal }
              - addField: { field: currency, default: EUR }
              - addField: { field: placedBy, fromMetadata: actorId }
              - nest: { fields: [street, city], into: address }
              - dropField: legacy
              - convert: { field: count, using: stringToInteger }
      Closed: { fields: {} }
projections:
  Orders:
    columns: { id: string, total: decimal, city: string, closed: { type: boolean, default: false } }
    primaryKey: id
    on:
      Placed:
        insert: { id: meta.aggregateId, total: data.total, city: data.address.city }
      Closed:
        update: { where: { id: meta.aggregateId }, set: { closed: true } }
`;

const byPath = (files: GeneratedFile[]) => new Map(files.map((f) => [f.path, f]));

describe('emitDomain', () => {
  it('is deterministic and carries no timestamps', async () => {
    const a = await formatFiles(emitDomain(model(SMALL), OPTIONS));
    const b = await formatFiles(emitDomain(model(SMALL), OPTIONS));
    expect(a).toEqual(b);
    for (const f of a) expect(f.content).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?!\.000Z)/);
    expect(a.map((f) => f.path)).toEqual([...a.map((f) => f.path)].sort());
  });

  it('emits each target: events, upcasters, aggregates, projections, index, the event lock, and user-owned skeletons', () => {
    const files = byPath(emitDomain(model(SMALL), OPTIONS));
    expect([...files.keys()]).toEqual([
      'gen/aggregates/order.ts',
      'gen/app.ts',
      'gen/events.lock.json',
      'gen/events/order.ts',
      'gen/index.ts',
      'gen/projections/database.ts',
      'gen/projections/index.ts',
      'gen/projections/migrations/0001_create_orders.ts',
      'gen/projections/migrations/index.ts',
      'gen/projections/migrations/snapshot.json',
      'gen/projections/orders.ts',
      'gen/registry.ts',
      'gen/types.ts',
      'gen/upcasters/golden.unit.test.ts',
      'gen/upcasters/placed.ts',
      'src/aggregates/order.ts',
    ]);
    expect(files.get('src/aggregates/order.ts')!.ownership).toBe('user');
    expect(files.get('gen/projections/migrations/0001_create_orders.ts')!.ownership).toBe('once');
    const events = files.get('gen/events/order.ts')!.render();
    expect(events).toContain("export class Placed extends defineEvent({\n  type: 'Placed',\n  version: 2,");
    expect(events).toContain('export type PlacedV1 = {');
    expect(events).toContain('export type PlacedV2 = {');
    expect(events).toContain('placedBy: z.string().optional()');
    const registry = files.get('gen/registry.ts')!.render();
    expect(registry).toContain("Created: 'Placed'");
    expect(registry).toContain("upcaster('Placed', 1, placedV1ToV2)");
    const index = files.get('gen/index.ts')!.render();
    expect(index).toContain("export * from './projections/migrations/index.js';");
    expect(index).not.toContain('0001_create_orders');
  });

  it('turns declarative steps into typed code, and interprets them the same way for golden tests', () => {
    const m = model(SMALL);
    const code = byPath(emitDomain(m, OPTIONS)).get('gen/upcasters/placed.ts')!.render();
    expect(code).toContain('export const placedV1ToV2: PlacedV1ToV2 = (data, record) => {');
    expect(code).toContain('const { amount: renamed1, ...rest1 } = data;');
    expect(code).toContain("currency: 'EUR' as const");
    expect(code).toContain('placedBy: record.actorId ?? undefined');
    expect(code).toContain('address: { street: nested5_0, city: nested5_1 }');
    expect(code).toContain('total: conversions.numberToDecimal(step1.total)');
    const event = new DomainIndex(m).event('Placed');
    const v1 = event.history[0]!;
    const sample = sampleForVersion(new DomainIndex(m), v1);
    expect(sample['count']).toBe('42'); // converted later with stringToInteger, so a numeric string
    const out = applySteps(new DomainIndex(m), v1, v1.upcast as never, sample, { actorId: 'actor-1' });
    expect(out).toEqual({
      total: '10.5',
      currency: 'EUR',
      placedBy: 'actor-1',
      address: { street: 'sample street', city: 'sample city' },
      count: 42,
    });
  });

  it('writes the golden upcaster test as data for the runtime harness, its expected payloads computed from the runtime envelope', () => {
    const golden = byPath(emitDomain(model(SMALL), OPTIONS))
      .get('gen/upcasters/golden.unit.test.ts')!
      .render();
    expect(golden).toContain("import { describeUpcasterGoldens } from '@eventsmith/runtime/testing';");
    expect(golden).toContain('describeUpcasterGoldens(createShopRegistry(), [');
    expect(golden).toContain("placedBy: 'actor-golden'");
    expect(golden).toContain("renamedFrom: ['Created']");
    expect(golden).not.toMatch(/\b(describe|it|expect)\(/);
    expect(GOLDEN_RECORD).toEqual(upcasterGoldenEnvelope);
  });

  it('declares one abstract handler per event and a typed raise helper, and stubs them in the skeleton', () => {
    const files = byPath(emitDomain(model(SMALL), OPTIONS));
    const base = files.get('gen/aggregates/order.ts')!.render();
    expect(base).toContain('abstract onPlaced(event: Placed): OrderState;');
    expect(base).toContain('abstract onClosed(event: Closed): OrderState;');
    expect(base).toContain('protected raisePlaced(data: PlacedInput, init?: EventInit): void {');
    const skeleton = files.get('src/aggregates/order.ts')!;
    expect(base).toContain("static override readonly handledEventTypes: readonly string[] = ['Placed', 'Closed'];");
    expect(base).not.toMatch(/interface OrderHandlers|constructor\(/);
    expect(skeleton.render()).toContain('export class Order extends OrderBase {');
    expect(skeleton.merge!.members.map((m) => m.name)).toEqual(['place', 'onPlaced', 'onClosed']);
    expect(skeleton.merge!.members[1]!.text).toMatch(/^@handles\(Placed\)\nonPlaced\(event: Placed\): OrderState \{/);
  });

  it('writes projection handlers as row operations with the values converted for every SQL dialect', () => {
    const code = byPath(emitDomain(model(SMALL), OPTIONS))
      .get('gen/projections/orders.ts')!
      .render();
    expect(code).toContain(
      'return { insert: { id: event.aggregateId, total: event.data.total, city: event.data.address.city } };',
    );
    expect(code).toContain('return { update: { where: { id: event.aggregateId }, set: { closed: 1 } } };');
    expect(code).toContain("return declarativeProjection<OrdersTables, 'orders'>({");
    expect(code).toContain("primaryKey: ['id'],");
  });

  it('declares the incremented columns with their defaults, and turns merging off for a table with a unique index', () => {
    const counted = SMALL.replace(
      'columns: { id: string, total: decimal, city: string, closed: { type: boolean, default: false } }',
      "columns: { id: string, total: { type: decimal, default: '0' }, city: string, closed: { type: boolean, default: false }, n: integer? }",
    ).replace(
      'update: { where: { id: meta.aggregateId }, set: { closed: true } }',
      'update: { where: { id: meta.aggregateId }, set: { closed: true, total: { decrement: 1 }, n: { increment: 1 } } }',
    );
    const code = byPath(emitDomain(model(counted), OPTIONS))
      .get('gen/projections/orders.ts')!
      .render();
    expect(code).toContain("counters: { total: { type: 'decimal', default: '0' }, n: { type: 'integer' } },");
    expect(code).toContain("set: { closed: 1, total: decrement('1'), n: increment(1) }");
    expect(code).not.toContain('mergeBatches');
    const unique = counted.replace(
      '    primaryKey: id\n',
      '    primaryKey: id\n    indexes: [{ columns: [city], unique: true }]\n',
    );
    expect(
      byPath(emitDomain(model(unique), OPTIONS))
        .get('gen/projections/orders.ts')!
        .render(),
    ).toContain('mergeBatches: false,');
  });

  it('appends a new migration when a column changes, keeps the old one, and records the new shape', async () => {
    const first = await formatFiles(emitDomain(model(SMALL), OPTIONS));
    const snapshot = parseSnapshot(first.find((f) => f.path.endsWith('snapshot.json'))!.content);
    expect(snapshot.migrations).toEqual(['0001_create_orders']);

    const same = emitDomain(model(SMALL), { ...OPTIONS, projectionSnapshot: snapshot });
    expect(same.filter((f) => f.path.includes('/migrations/0')).map((f) => [f.path, f.ownership])).toEqual([
      ['gen/projections/migrations/0001_create_orders.ts', 'keep'],
    ]);

    const changed = SMALL.replace('city: string, closed', 'city: string, note: text?, closed');
    const next = await formatFiles(emitDomain(model(changed), { ...OPTIONS, projectionSnapshot: snapshot }));
    const migrations = next.filter((f) => f.path.includes('/migrations/0'));
    expect(migrations.map((f) => [f.path, f.ownership])).toEqual([
      ['gen/projections/migrations/0001_create_orders.ts', 'keep'],
      ['gen/projections/migrations/0002_alter_orders.ts', 'once'],
    ]);
    expect(migrations[1]!.content).toContain(
      "await db.schema.alterTable('orders').addColumn('note', 'text').execute();",
    );
    expect(migrations[1]!.content).toContain("await db.schema.alterTable('orders').dropColumn('note').execute();");
    const index = next.find((f) => f.path === 'gen/projections/migrations/index.ts')!.content;
    expect(index).toContain("'0002_alter_orders': m0002AlterOrders,");
    expect(parseSnapshot(next.find((f) => f.path.endsWith('snapshot.json'))!.content).migrations).toEqual([
      '0001_create_orders',
      '0002_alter_orders',
    ]);
  });
  it('marks a migration that empties or resets rows for a rebuild, and says so when it is created', async () => {
    const first = await formatFiles(emitDomain(model(SMALL), OPTIONS));
    const snapshot = parseSnapshot(first.find((f) => f.path.endsWith('snapshot.json'))!.content);
    const migration = (yaml: string) =>
      emitDomain(model(yaml), { ...OPTIONS, projectionSnapshot: snapshot }).find((f) =>
        f.path.startsWith('gen/projections/migrations/0002_'),
      )!;

    const nullable = migration(SMALL.replace('city: string, closed', 'city: string, note: text?, closed'));
    expect(nullable.render()).not.toContain('rebuild:');
    expect(nullable.notice).toBeUndefined();

    const retyped = migration(
      SMALL.replace('city: string, closed', 'city: text, count: integer, closed').replace(
        'city: data.address.city }',
        'city: data.address.city, count: data.count }',
      ),
    );
    expect(retyped.render()).toContain("rebuild: ['Orders'],");
    expect(retyped.notice).toBe(
      'This migration of orders retypes city (existing values are dropped) and adds count without a default ' +
        '(existing rows get the zero value). After it runs on a database that has rows, the projection must be rebuilt: ' +
        '`eventsmith migrate` rebuilds it when it applies this migration (with --no-rebuild, run ' +
        '`eventsmith projections rebuild Orders --db <url>`); an app that applies it logs a warning, or rebuilds it with `rebuild: true`.',
    );

    const rekeyed = migration(SMALL.replace('primaryKey: id', 'primaryKey: [id, city]'));
    expect(rekeyed.path).toBe('gen/projections/migrations/0002_recreate_orders.ts');
    expect(rekeyed.render()).toContain("rebuild: ['Orders'],");
    expect(rekeyed.notice).toContain('The primary key of orders changed, so this migration recreates the table empty.');

    const [prepared] = await formatFiles([rekeyed]);
    expect(prepared!.notice).toBe(rekeyed.notice);
  });

  it('alters a column whose default or nullability changed in place: its values stay, nothing to rebuild', async () => {
    const first = await formatFiles(emitDomain(model(SMALL), OPTIONS));
    const snapshot = parseSnapshot(first.find((f) => f.path.endsWith('snapshot.json'))!.content);
    const migration = (yaml: string) =>
      emitDomain(model(yaml), { ...OPTIONS, projectionSnapshot: snapshot }).find((f) =>
        f.path.startsWith('gen/projections/migrations/0002_'),
      )!;

    const defaulted = migration(SMALL.replace('default: false', 'default: true'));
    const code = defaulted.render();
    expect(code).toContain("import { alterProjectionColumn } from '@eventsmith/runtime';");
    expect(code).toContain(
      "await alterProjectionColumn(db, 'orders', { name: 'closed', type: 'boolean', notNull: true, default: true });",
    );
    expect(code).toContain(
      "await alterProjectionColumn(db, 'orders', { name: 'closed', type: 'boolean', notNull: true, default: false });",
    );
    expect(code).not.toContain('dropColumn');
    expect(code).not.toContain('rebuild:');
    expect(code).toContain('The default or nullability of closed changed: altered in place, rows keep their values.');
    expect(defaulted.notice).toBeUndefined();

    const nullable = migration(SMALL.replace('city: string, closed', 'city: string?, closed'));
    expect(nullable.render()).toContain(
      "await alterProjectionColumn(db, 'orders', { name: 'city', type: 'varchar(255)', notNull: false });",
    );
    // `down` makes it NOT NULL again: rows that hold NULL by then get the zero value.
    expect(nullable.render()).toContain(
      "await alterProjectionColumn(db, 'orders', { name: 'city', type: 'varchar(255)', notNull: true, fill: '' });",
    );
    expect(nullable.render()).not.toContain('dropColumn');
    expect(nullable.render()).not.toContain('rebuild:');
    expect(nullable.notice).toBeUndefined();

    // Two columns of one table change: one call, so SQLite copies the table once for both.
    const both = migration(
      SMALL.replace('default: false', 'default: true').replace('city: string, closed', 'city: string?, closed'),
    ).render();
    expect(both).toContain(
      "await alterProjectionColumn(db, 'orders', [{ name: 'city', type: 'varchar(255)', notNull: false }, " +
        "{ name: 'closed', type: 'boolean', notNull: true, default: true }]);",
    );
    expect(both).toContain(
      "await alterProjectionColumn(db, 'orders', [{ name: 'city', type: 'varchar(255)', notNull: true, fill: '' }, " +
        "{ name: 'closed', type: 'boolean', notNull: true, default: false }]);",
    );
    expect(both.match(/alterProjectionColumn\(/g)).toHaveLength(2);

    const nullableFirst = await formatFiles(
      emitDomain(model(SMALL.replace('city: string, closed', 'city: string?, closed')), OPTIONS),
    );
    const nullableSnapshot = parseSnapshot(nullableFirst.find((f) => f.path.endsWith('snapshot.json'))!.content);
    const required = (city: string) =>
      emitDomain(model(SMALL.replace('city: string, closed', `city: ${city}, closed`)), {
        ...OPTIONS,
        projectionSnapshot: nullableSnapshot,
      }).find((f) => f.path.startsWith('gen/projections/migrations/0002_'))!;
    const withDefault = required("{ type: string, default: 'unknown' }");
    expect(withDefault.render()).toContain(
      "await alterProjectionColumn(db, 'orders', { name: 'city', type: 'varchar(255)', notNull: true, default: 'unknown' });",
    );
    expect(withDefault.render()).not.toContain('rebuild:');
    expect(withDefault.notice).toBeUndefined();
    const withoutDefault = required('string');
    expect(withoutDefault.render()).toContain(
      "await alterProjectionColumn(db, 'orders', { name: 'city', type: 'varchar(255)', notNull: true, fill: '' });",
    );
    expect(withoutDefault.render()).toContain("rebuild: ['Orders'],");
    expect(withoutDefault.notice).toMatch(
      /^This migration of orders makes city NOT NULL without a default \(rows holding NULL get the zero value\)\. /,
    );
    expect(withoutDefault.notice).not.toContain('retypes');
  });
});
