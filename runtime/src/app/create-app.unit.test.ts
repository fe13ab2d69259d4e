import { inspect } from 'node:util';
import { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CommandError,
  CommandRejectedError,
  CommandValidationError,
  ConcurrencyError,
  InvalidArgumentError,
  PositionForeignError,
  TenantMismatchError,
  type EventsmithError,
} from '../errors.js';
import { EventRegistry } from '../events/event-registry.js';
import { InMemorySnapshotStore } from '../snapshots/memory/in-memory-snapshot-store.js';
import { everyNEvents } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { Position } from '../store/position.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { defineApp } from './app-definition.js';
import { AppConfigError, ProjectionDeadLetteredError, ProjectionWaitTimeoutError } from './app-errors.js';
import { createApp, type App } from './create-app.js';
import { projectionMigrationTable, ProjectionRebuildAfterMigrationError } from './migrate-app.js';
import { ProjectionRunningError } from './refuse-lossy-while-running.js';
import { SqlLeaseLock } from '../subscriptions/sql/sql-lease-lock.js';
import { dispatchOn } from './reactions.js';
import {
  OrderPlaced,
  registry,
  shopApp,
  shopClasses,
  Stock,
  stockLevels,
  StockReceived,
  StockReserved,
} from './test-support/shop-app.js';

type ShopApp = App<typeof shopApp.aggregates, typeof shopClasses>;

const quiet = { warn: () => undefined, error: () => undefined };
/** The data argument as console.warn prints it. */
const show = (data: unknown) => (data === undefined ? '' : inspect(data, { depth: 0 }));

interface Target {
  readonly name: string;
  open(): Promise<{ store: EventStore; database?: Kysely<any>; close(): Promise<void> }>;
}

const TARGETS: readonly Target[] = [
  {
    name: 'memory store, read model in in-memory SQLite',
    async open() {
      const sqlite = await SqliteEventStore.open({ filename: ':memory:', registry });
      const store = new InMemoryEventStore({ registry });
      return { store, database: sqlite.db, close: () => sqlite.close() };
    },
  },
  {
    name: 'SQLite store',
    async open() {
      const store = await SqliteEventStore.open({ filename: ':memory:', registry });
      return { store, close: () => store.close() };
    },
  },
];

for (const target of TARGETS) {
  describe(`createApp on the ${target.name}`, () => {
    let opened: Awaited<ReturnType<Target['open']>>;
    let app: ShopApp;
    const start = (options: { start?: boolean } = {}) =>
      createApp(shopApp, {
        store: opened.store,
        database: opened.database,
        aggregates: shopClasses,
        logger: quiet,
        subscriptions: { pollIntervalMs: 50 },
        ...options,
      });

    beforeEach(async () => {
      opened = await target.open();
      Stock.reserveCalls = 0;
      app = await start();
    });
    afterEach(async () => {
      await app.close();
      await opened.close();
    });

    it('migrates the subscription and projection tables, recording the projections per domain, and reports it', async () => {
      const projections = app.migrations.steps.find((s) => s.tables === 'projections');
      expect(projections).toEqual({
        tables: 'projections',
        domain: 'AppTestShop',
        applied: ['0001_create_app_test_stock_levels'],
      });
      expect(app.migrations.steps.map((s) => s.tables)).toContain('subscriptions and outbox');
      await app.close();
      app = await start();
      expect(app.migrations.steps.every((s) => s.applied.length === 0)).toBe(true);
      const recorded = await app.database!.selectFrom(projectionMigrationTable('AppTestShop')).select('name').execute();
      expect(recorded).toEqual([{ name: '0001_create_app_test_stock_levels' }]);
    });

    it('dispatches a command: validates, applies defaults, saves and returns the version, events and position', async () => {
      await app.stock.receive('MUG', { quantity: 5 });
      const placed = await app.order.place('order-1', { sku: 'MUG' });
      expect(placed.version).toBe(1);
      expect(placed.duplicate).toBe(false);
      expect(placed.events.map((e) => [e.eventType, e.data])).toEqual([['OrderPlaced', { sku: 'MUG', quantity: 1 }]]);
      expect(placed.position).not.toBeNull();
      const second = await app.stock.receive('MUG', { quantity: 2 });
      expect(second.version).toBe(2);
      expect((await app.repository('stock').load('MUG')).state).toEqual({ available: 7 });
    });

    it('refuses bad parameters with CommandValidationError before writing, in the CommandError family', async () => {
      const error = await app.order.place('order-1', { sku: '', quantity: -2 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CommandValidationError);
      expect(error).toBeInstanceOf(CommandError);
      expect((error as CommandValidationError).issues.map((i) => i.path)).toEqual(['sku', 'quantity']);
      expect(await opened.store.getStreamVersion('Order-order-1')).toBe(0);
      const rejected = await app.stock.reserve('MUG', { orderId: 'o', quantity: 1 }).catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(CommandRejectedError);
      expect(rejected).toBeInstanceOf(CommandError);
    });

    it('applies an idempotency key once', async () => {
      const first = await app.stock.receive('MUG', { quantity: 5 }, { idempotencyKey: 'delivery-77' });
      const again = await app.stock.receive('MUG', { quantity: 5 }, { idempotencyKey: 'delivery-77' });
      expect(first.duplicate).toBe(false);
      expect(again).toMatchObject({ duplicate: true, version: 1, events: [], position: null });
      expect((await app.repository('stock').load('MUG')).state.available).toBe(5);
    });

    it('waits for the projections to reach a position (read-your-writes)', async () => {
      const { position } = await app.stock.receive('MUG', { quantity: 5 });
      await app.waitForProjections({ position });
      expect(await levels(app)).toEqual([{ sku: 'MUG', available: 5 }]);
      await app.waitForProjections(); // the store's end, nothing new: resolves at once
    });

    it('runs a reaction: the order reserves its stock, with correlation and causation from the order event', async () => {
      await app.stock.receive('MUG', { quantity: 5 });
      const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 }, { correlationId: 'checkout-9' });
      await app.waitForProjections({ position: placed.position, includeReactions: true });
      await app.waitForProjections();
      expect(await levels(app)).toEqual([{ sku: 'MUG', available: 3 }]);
      const reserved = await lastEvent(opened.store, 'Stock-MUG');
      expect(reserved).toBeInstanceOf(StockReserved);
      expect(reserved.data).toEqual({ orderId: 'order-1', quantity: 2 });
      expect(reserved.causationId).toBe(placed.events[0]!.eventId);
      expect(reserved.correlationId).toBe('checkout-9');
    });

    it('does not dispatch a reaction twice when its event is delivered again (replay from the start)', async () => {
      await app.stock.receive('MUG', { quantity: 5 });
      const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 });
      await app.waitForProjections({ position: placed.position, includeReactions: true });
      const version = await opened.store.getStreamVersion('Stock-MUG');
      expect(Stock.reserveCalls).toBe(1);
      await app.close();
      // As after a crash between the command's append and the reaction's checkpoint.
      await app.manager.checkpoints.reset('ReserveStockOnOrderPlaced', null);
      app = await start();
      await app.waitForProjections({ includeReactions: true });
      expect(await opened.store.getStreamVersion('Stock-MUG')).toBe(version);
      expect(Stock.reserveCalls).toBe(1);
      expect((await app.manager.status('ReserveStockOnOrderPlaced')).processed).toBe(1);
    });

    it('retries a failing reaction, then parks its event in the dead-letter queue', async () => {
      const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 }); // no stock: reserve is rejected
      // The reaction moved past its event without dispatching: waiting for it says so.
      await expect(app.waitForProjections({ position: placed.position, includeReactions: true })).rejects.toThrow(
        ProjectionDeadLetteredError,
      );
      const parked = await app.manager.deadLetters.list({ subscription: 'ReserveStockOnOrderPlaced' });
      expect(parked).toHaveLength(1);
      expect(parked[0]).toMatchObject({ eventId: placed.events[0]!.eventId, attempts: 2 });
      expect(parked[0]!.error).toMatch(/Only 0 of MUG left/);
      expect(Stock.reserveCalls).toBe(2);
      // Once stock arrives, retrying the dead letter dispatches the command.
      await app.stock.receive('MUG', { quantity: 5 });
      expect(await app.manager.retryDeadLetters()).toMatchObject({ resolved: 1 });
      expect((await app.repository('stock').load('MUG')).state.available).toBe(3);
      await app.waitForProjections({ position: placed.position, includeReactions: true });
    });

    it('times out with a typed error naming the projection that is behind', async () => {
      await app.manager.pause('StockLevels');
      const { position } = await app.stock.receive('MUG', { quantity: 5 });
      const error = await app.waitForProjections({ position, timeout: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProjectionWaitTimeoutError);
      expect((error as ProjectionWaitTimeoutError).behind.map((p) => p.name)).toEqual(['StockLevels']);
      app.manager.resume('StockLevels');
      await app.waitForProjections({ position });
    });

    it('refuses a position that is not one of this store, and a negative or NaN timeout, saying what to pass', async () => {
      const { position } = await app.stock.receive('MUG', { quantity: 5 });
      const refusal = (options: Parameters<ShopApp['waitForProjections']>[0]) =>
        app.waitForProjections(options).then(
          () => undefined,
          (e: unknown) => e as EventsmithError,
        );
      const foreign = await refusal({ position: Position.parse('pg:other@5') });
      expect(foreign).toBeInstanceOf(PositionForeignError);
      expect(foreign).toMatchObject({ expectedStoreId: opened.store.storeId, actualStoreId: 'pg:other' });
      expect(foreign?.message).toContain(`belongs to store "pg:other", not "${opened.store.storeId}"`);
      const text = await refusal({ position: position!.toString() as unknown as Position });
      expect(text).toBeInstanceOf(InvalidArgumentError);
      expect(text?.message).toMatch(/position must be a Position.*got ".*@\d+".*Position\.parse\(text\)/);
      const garbage = await refusal({ position: 'garbage' as unknown as Position });
      expect(garbage).toBeInstanceOf(InvalidArgumentError);
      expect(garbage?.message).toContain('got "garbage"');
      for (const timeout of [-5, NaN]) {
        const error = await refusal({ position, timeout });
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error?.message).toContain('timeout must be a number of milliseconds ≥ 0');
      }
      await app.waitForProjections({ position, timeout: 5000 });
    });

    it('publishes what it appends to the bus through the outbox and its relay', async () => {
      await app.close();
      const published: string[] = [];
      app = await createApp(shopApp, {
        store: opened.store,
        database: opened.database,
        aggregates: shopClasses,
        logger: quiet,
        bus: { publish: async (events) => void published.push(...events.map((e) => e.eventId)) },
      });
      const { events } = await app.stock.receive('MUG', { quantity: 5 });
      await waitUntil(() => published.includes(events[0]!.eventId), 'the relay to publish StockReceived');
    });

    it('binds to a tenant: commands and reactions write in it', async () => {
      await app.close();
      app = await createApp(shopApp, {
        store: opened.store,
        database: opened.database,
        aggregates: shopClasses,
        logger: quiet,
        tenant: 'acme',
      });
      await app.stock.receive('MUG', { quantity: 5 });
      const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 });
      await app.waitForProjections({ position: placed.position, includeReactions: true });
      const reserved = await lastEvent(opened.store.forTenant('acme'), 'Stock-MUG');
      expect(reserved).toBeInstanceOf(StockReserved);
      expect(reserved.tenantId).toBe('acme');
      expect(await opened.store.forTenant('globex').getStreamVersion('Stock-MUG')).toBe(0);
    });

    it("refuses another tenant's aggregates in an app bound to a tenant, through commands and repositories", async () => {
      // The unbound app serves any tenant: globex has stock.
      await app.stock.receive('MUG', { quantity: 3 }, { tenantId: 'globex' });
      await app.close();
      app = await createApp(shopApp, {
        store: opened.store,
        database: opened.database,
        aggregates: shopClasses,
        logger: quiet,
        tenant: 'acme',
      });
      expect(() => app.repository('stock', { tenantId: 'globex' })).toThrow(TenantMismatchError);
      expect(() => app.repository('stock', { tenantId: 'globex' })).toThrow(/bound to tenant "acme"/);
      const write = await app.stock.receive('MUG', { quantity: 5 }, { tenantId: 'globex' }).catch((e: unknown) => e);
      expect(write).toBeInstanceOf(TenantMismatchError);
      expect((write as TenantMismatchError).code).toBe('TENANCY.MISMATCH');
      expect(await opened.store.forTenant('globex').getStreamVersion('Stock-MUG')).toBe(1);
      // Its own tenant, named or not, is fine.
      await app.stock.receive('CUP', { quantity: 5 }, { tenantId: 'acme' });
      expect((await app.repository('stock', { tenantId: 'acme' }).load('CUP')).state).toEqual({ available: 5 });
      expect((await app.repository('stock').load('CUP')).version).toBe(1);
    });

    it('closes gracefully: subscriptions stop, the store stays open for its owner', async () => {
      await app.stock.receive('MUG', { quantity: 5 });
      await app.close();
      expect((await app.manager.statuses()).map((s) => s.state)).toEqual(['stopped', 'stopped']);
      expect(await opened.store.getStreamVersion('Stock-MUG')).toBe(1);
      await app.close(); // twice is fine
    });
  });
}

describe('createApp configuration', () => {
  it('asks for a database when the domain has projections and the store has none', async () => {
    const store = new InMemoryEventStore({ registry });
    await expect(createApp(shopApp, { store, aggregates: shopClasses })).rejects.toThrow(AppConfigError);
    await expect(createApp(shopApp, { store, aggregates: shopClasses })).rejects.toThrow(/Pass \{ database \}/);
  });

  it('runs without a database when the domain has no projections', async () => {
    const store = new InMemoryEventStore({ registry });
    const bare = defineApp({ domain: 'Bare', aggregates: { stock: shopApp.aggregates.stock } });
    const app = await createApp(bare, { store, aggregates: { stock: Stock } });
    expect((await app.stock.receive('MUG', { quantity: 1 })).version).toBe(1);
    await app.close();
  });

  it('reloads and runs the command again after a concurrent write, up to its retry policy', async () => {
    const bare = defineApp({ domain: 'Bare', aggregates: { stock: shopApp.aggregates.stock } });
    // Another writer appends to the stream just before the app's first append.
    const store = withOneConcurrentWrite(new InMemoryEventStore({ registry }));
    const app = await createApp(bare, { store, aggregates: { stock: Stock } });
    const result = await app.stock.receive('MUG', { quantity: 5 });
    expect(result.version).toBe(2);
    expect((await app.repository('stock').load('MUG')).state.available).toBe(15);
    await app.close();

    const strict = await createApp(bare, {
      store: withOneConcurrentWrite(new InMemoryEventStore({ registry })),
      aggregates: { stock: Stock },
      commandRetry: { maxAttempts: 1 },
    });
    await expect(strict.stock.receive('MUG', { quantity: 5 })).rejects.toThrow(ConcurrencyError);
    await strict.close();
  });

  it('logs outdated snapshots once per aggregate type, readably, and every corrupt one with its reason', async () => {
    const store = new InMemoryEventStore({ registry });
    const snapshots = new InMemorySnapshotStore();
    const bare = defineApp({
      domain: 'Bare',
      aggregates: { stock: { ...shopApp.aggregates.stock, snapshotPolicy: everyNEvents(1) } },
    });
    const logged: string[] = [];
    const logger = {
      warn: (message: string, data?: Record<string, unknown>) => void logged.push(`warn ${message} ${show(data)}`),
      error: (message: string, data?: Record<string, unknown>) => void logged.push(`error ${message} ${show(data)}`),
    };
    const app = await createApp(bare, { store, aggregates: { stock: Stock }, snapshots, logger });
    for (const id of ['MUG', 'CUP']) await app.stock.receive(id, { quantity: 5 });
    // Taken under an older YAML: another fingerprint.
    for (const id of ['MUG', 'CUP']) {
      const taken = (await snapshots.get('Stock', id))!;
      await snapshots.save({ ...taken, version: taken.version + 1, fingerprint: 'older-yaml' });
    }
    const stock = app.repository('stock');
    for (let i = 0; i < 3; i++) for (const id of ['MUG', 'CUP']) expect((await stock.load(id)).state.available).toBe(5);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(
      'warn eventsmith: snapshots of Stock (first: MUG) were taken under another snapshotFingerprint',
    );
    expect(logged[0]).toContain('Logged once per aggregate type');
    expect(logged[0]).not.toContain('undefined');

    // Unusable (an invalid version): reported on every load, as an error, with the reason.
    logged.length = 0;
    const taken = (await snapshots.get('Stock', 'MUG'))!;
    await snapshots.delete('Stock', 'MUG');
    await snapshots.save({ ...taken, version: 0, fingerprint: undefined });
    for (let i = 0; i < 2; i++) expect((await stock.load('MUG')).state.available).toBe(5);
    expect(logged).toEqual([
      expect.stringContaining('error eventsmith: the snapshot of Stock MUG is corrupt (Snapshot of MUG has an invalid'),
      expect.stringContaining('error eventsmith: the snapshot of Stock MUG is corrupt'),
    ]);
    expect(logged[0]).toMatch(/error: \[?InvalidArgumentError/);
    await app.close();
  });

  it('refuses a class whose aggregate type is not the declared one', async () => {
    const store = new InMemoryEventStore({ registry });
    const bare = defineApp({ domain: 'Bare', aggregates: { stock: shopApp.aggregates.stock } });
    // @ts-expect-error: Order has no receive/reserve methods
    await expect(createApp(bare, { store, aggregates: { stock: shopClasses.order } })).rejects.toThrow(
      /aggregateType is "Order"/,
    );
  });

  it('types the dispatchers from the declared commands', async () => {
    const store = new InMemoryEventStore({ registry });
    const bare = defineApp({ domain: 'Bare', aggregates: { stock: shopApp.aggregates.stock } });
    const app = await createApp(bare, { store, aggregates: { stock: Stock }, start: false });
    // @ts-expect-error: quantity must be a number
    await expect(app.stock.receive('MUG', { quantity: 'five' })).rejects.toThrow(CommandValidationError);
    // @ts-expect-error: no such command
    expect(app.stock.discontinue).toBeUndefined();
  });
});

async function levels(app: ShopApp) {
  return app.database!.selectFrom('app_test_stock_levels').selectAll().execute();
}

async function lastEvent(store: EventStore, stream: string) {
  for await (const stored of store.readStream(stream, { direction: 'backward', limit: 1 })) return stored.event;
  throw new Error(`${stream} is empty`);
}

describe('dispatchOn', () => {
  it('types the target, command and parameters from the declared commands', () => {
    type Aggs = typeof shopApp.aggregates;
    const reaction = dispatchOn<Aggs>()({
      name: 'Typed',
      on: OrderPlaced,
      aggregate: 'stock',
      command: 'reserve',
      id: (event) => event.data.sku,
      // @ts-expect-error: quantity is a number
      params: (event) => ({ orderId: event.aggregateId, quantity: event.data.sku }),
    });
    expect(reaction.eventTypes).toEqual(['OrderPlaced']);
    dispatchOn<Aggs>()({
      name: 'Unknown',
      on: OrderPlaced,
      aggregate: 'stock',
      // @ts-expect-error: Stock has no such command
      command: 'discontinue',
      id: (event) => event.data.sku,
    });
  });
});

describe('a store opened with another registry', () => {
  it("is refused at creation, naming the events it lacks and how to merge two domains' registries", async () => {
    // As with two domains on one store: the store was opened with the other domain's registry only.
    const other = EventRegistry.create({ events: [OrderPlaced] });
    const store = new InMemoryEventStore({ registry: other });
    const created = createApp(defineApp({ domain: 'AppTestShop', aggregates: shopApp.aggregates }), {
      store,
      aggregates: shopClasses,
      logger: quiet,
    });
    await expect(created).rejects.toThrow(AppConfigError);
    await expect(created).rejects.toThrow(
      "The store's event registry does not know the events StockReceived, StockReserved of the AppTestShop domain",
    );
    await expect(created).rejects.toThrow(
      'registry: EventRegistry.merge(createAppTestShopRegistry(), createOtherRegistry())',
    );

    const merged = EventRegistry.merge(other, EventRegistry.create({ events: [StockReceived, StockReserved] }));
    const app = await createApp(defineApp({ domain: 'AppTestShop', aggregates: shopApp.aggregates }), {
      store: new InMemoryEventStore({ registry: merged }),
      aggregates: shopClasses,
      logger: quiet,
    });
    await app.stock.receive('MUG', { quantity: 1 });
    await app.close();
  });
});

describe('a projection migration that empties or resets a table', () => {
  it('is reported as a rebuild in the migration report, and the app warns once, at the start that applied it', async () => {
    const sqlite = await SqliteEventStore.open({ filename: ':memory:', registry });
    const recreate = {
      rebuild: ['StockLevels'],
      async up(db: Kysely<any>) {
        await db.schema.dropTable('app_test_stock_levels').execute();
        await db.schema
          .createTable('app_test_stock_levels')
          .addColumn('sku', 'varchar(100)', (c) => c.primaryKey())
          .addColumn('available', 'integer', (c) => c.notNull())
          .execute();
      },
    };
    const definition = (migrations: Record<string, unknown>) =>
      defineApp({
        domain: 'AppTestRebuild',
        aggregates: shopApp.aggregates,
        projectionMigrations: { ...shopApp.projectionMigrations, ...migrations } as typeof shopApp.projectionMigrations,
      });
    const warnings: string[] = [];
    const logger = { warn: (message: string) => void warnings.push(message), error: () => undefined };
    try {
      const first = await createApp(definition({}), { store: sqlite, aggregates: shopClasses, logger });
      await first.close();
      expect(warnings).toEqual([]);
      // StockLevels has run (another process): a projection without a checkpoint is not marked.
      await (sqlite.db as Kysely<any>)
        .insertInto('eventsmith_checkpoints')
        .values({ tenant_id: '', name: 'StockLevels', position: 'sqlite:x@1', updated_at: 0 })
        .execute();

      const second = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
        store: sqlite,
        aggregates: shopClasses,
        logger,
      });
      await second.close();
      const step = second.migrations.steps.find((s) => s.tables === 'projections');
      expect(step).toEqual({
        tables: 'projections',
        domain: 'AppTestRebuild',
        applied: ['0002_recreate_app_test_stock_levels'],
        rebuild: ['StockLevels'],
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('emptied or reset the table of StockLevels');
      // This app has no projection StockLevels (its definition has none): there is nothing to
      // rebuild, and the warning names the command that drops the mark.
      expect(warnings[0]).toContain('StockLevels, which is not a projection of this app: nothing to rebuild');
      expect(warnings[0]).toContain('`eventsmith projections forget StockLevels --db <url>`');
      expect(warnings[0]).not.toContain('app.manager.rebuild');

      const third = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
        store: sqlite,
        aggregates: shopClasses,
        logger,
      });
      await third.close();
      expect(third.migrations.steps.find((s) => s.tables === 'projections')).not.toHaveProperty('rebuild');
      expect(warnings).toHaveLength(1);
    } finally {
      await sqlite.close();
    }
  });
});

describe('rebuild: true', () => {
  const recreate = {
    rebuild: ['StockLevels'],
    async up(db: Kysely<any>) {
      await db.schema.dropTable('app_test_stock_levels').execute();
      await db.schema
        .createTable('app_test_stock_levels')
        .addColumn('sku', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('available', 'integer', (c) => c.notNull())
        .execute();
    },
  };
  const definition = (migrations: Record<string, unknown>, projections = [stockLevels]) =>
    defineApp({
      domain: 'AppTestRebuildAtStart',
      aggregates: shopApp.aggregates,
      projectionMigrations: { ...shopApp.projectionMigrations, ...migrations } as typeof shopApp.projectionMigrations,
      projections: () => projections,
    });
  const levels = (sqlite: SqliteEventStore) =>
    (sqlite.db as Kysely<any>)
      .selectFrom('app_test_stock_levels')
      .select(['sku', 'available'])
      .orderBy('sku')
      .execute();
  let sqlite: SqliteEventStore;
  let warnings: string[];
  let logger: { warn(message: string): void; error(): void };
  beforeEach(async () => {
    sqlite = await SqliteEventStore.open({ filename: ':memory:', registry });
    warnings = [];
    logger = { warn: (message: string) => void warnings.push(message), error: () => undefined };
    const first = await createApp(definition({}), { store: sqlite, aggregates: shopClasses, logger });
    await first.stock.receive('MUG', { quantity: 3 });
    await first.stock.receive('CUP', { quantity: 2 });
    await first.waitForProjections();
    await first.close();
  });
  afterEach(async () => sqlite.close());

  it('rebuilds, before the app starts, the projection a migration applied by this start emptied; a later start rebuilds nothing', async () => {
    const second = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
      start: false,
    });
    // Not started: the rows are the rebuild's, from the events.
    expect(await levels(sqlite)).toEqual([
      { sku: 'CUP', available: 2 },
      { sku: 'MUG', available: 3 },
    ]);
    expect(second.migrations.rebuilt).toEqual([
      expect.objectContaining({ projection: 'StockLevels', replayed: 2, failures: [] }),
    ]);
    expect(warnings).toEqual([]);

    const third = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
      start: false,
    });
    expect(third.migrations).not.toHaveProperty('rebuilt');
  });

  it('refuses to start, applying nothing, while a replica of the previous version runs the projection the migration would empty', async () => {
    const replica = new SqlLeaseLock(sqlite.db, { ttlMs: 600_000 });
    const held = await replica.tryAcquire('StockLevels');
    expect(held).toBeDefined();
    const created = createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
      start: false,
    });
    const error = await created.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProjectionRunningError);
    expect((error as Error).message).toContain(
      'migration 0002_recreate_app_test_stock_levels of AppTestRebuildAtStart empties or resets the table of StockLevels, which another process runs',
    );
    expect((error as Error).message).toContain(`process ${replica.owner} holds its lease until`);
    // Nothing applied: the rows of the running replica's table are intact.
    expect(await levels(sqlite)).toEqual([
      { sku: 'CUP', available: 2 },
      { sku: 'MUG', available: 3 },
    ]);
    await held!.release();
    const started = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
      start: false,
    });
    expect(started.migrations.rebuilt?.map((r) => r.projection)).toEqual(['StockLevels']);
    await started.close();
  });

  it('stops the start with what to run when the rebuild fails; the migration stays applied', async () => {
    const failing = { ...stockLevels, handle: () => Promise.reject(new Error('the warehouse service is down')) };
    const created = createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }, [failing]), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
    });
    await expect(created).rejects.toThrow(ProjectionRebuildAfterMigrationError);
    const error = (await created.catch((e: unknown) => e)) as ProjectionRebuildAfterMigrationError;
    expect(error.code).toBe('APP.REBUILD_AFTER_MIGRATION_FAILED');
    expect(error.message).toContain('The migrations were applied and stay applied, but rebuilding StockLevels failed');
    expect(error.message).toContain('the warehouse service is down');
    expect(error.message).toContain('eventsmith projections rebuild StockLevels --db <url>');
    expect(error.failed.map((f) => f.projection)).toEqual(['StockLevels']);
    expect(error.report.steps.find((s) => s.tables === 'projections')?.applied).toEqual([
      '0002_recreate_app_test_stock_levels',
    ]);
    // The emptied table stays as the migration left it, and the migration is recorded.
    expect(await levels(sqlite)).toEqual([]);
    const again = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      start: false,
    });
    expect(again.migrations.steps.find((s) => s.tables === 'projections')?.applied).toEqual([]);
    // The database keeps the need to rebuild: this start applied nothing, yet warns, and one with
    // rebuild: true rebuilds it; after that, no start warns.
    expect(again.migrations.pending).toEqual(['StockLevels']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('a projection migration applied earlier emptied or reset the table of StockLevels');
    const fixed = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
      start: false,
    });
    expect(fixed.migrations.rebuilt?.map((r) => r.projection)).toEqual(['StockLevels']);
    expect(fixed.migrations).not.toHaveProperty('pending');
    expect(await levels(sqlite)).toEqual([
      { sku: 'CUP', available: 2 },
      { sku: 'MUG', available: 3 },
    ]);
    const later = await createApp(definition({ '0002_recreate_app_test_stock_levels': recreate }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      start: false,
    });
    expect(later.migrations).not.toHaveProperty('pending');
    expect(warnings).toHaveLength(1);
  });

  it('warns at every start until the projection is rebuilt, then no more', async () => {
    const next = definition({ '0002_recreate_app_test_stock_levels': recreate });
    const start = () => createApp(next, { store: sqlite, aggregates: shopClasses, logger, start: false });
    await start();
    await start();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('a projection migration just applied emptied or reset the table of StockLevels');
    expect(warnings[1]).toContain('a projection migration applied earlier emptied or reset the table of StockLevels');
    const app = await start();
    expect(warnings).toHaveLength(3);
    await app.manager.rebuild('StockLevels');
    await start();
    expect(warnings).toHaveLength(3);
  });

  it('warns nothing on a new database whose migrations include a lossy one: the projection replays from the start', async () => {
    const fresh = await SqliteEventStore.open({ filename: ':memory:', registry });
    try {
      const next = definition({ '0002_recreate_app_test_stock_levels': recreate });
      const app = await createApp(next, { store: fresh, aggregates: shopClasses, logger });
      await app.stock.receive('MUG', { quantity: 3 });
      await app.waitForProjections();
      await app.close();
      const again = await createApp(next, { store: fresh, aggregates: shopClasses, logger, start: false });
      expect(again.migrations).not.toHaveProperty('pending');
      expect(warnings).toEqual([]);
      expect(await levels(fresh)).toEqual([{ sku: 'MUG', available: 3 }]);
    } finally {
      await fresh.close();
    }
  });

  it('skips a projection the app no longer has (a later migration dropped its table)', async () => {
    const gone = { ...recreate, rebuild: ['StockLevels', 'RetiredProjection'] };
    const app = await createApp(definition({ '0002_recreate_app_test_stock_levels': gone }), {
      store: sqlite,
      aggregates: shopClasses,
      logger,
      rebuild: true,
      start: false,
    });
    expect(app.migrations.rebuilt?.map((r) => r.projection)).toEqual(['StockLevels']);
  });

  it('is refused in an app bound to a tenant', async () => {
    await expect(
      createApp(definition({}), { store: sqlite, aggregates: shopClasses, logger, rebuild: true, tenant: 'acme' }),
    ).rejects.toThrow(AppConfigError);
  });
});

describe('a custom reaction', () => {
  it('dispatches once when it fails after its command was appended and is delivered again', async () => {
    const sqlite = await SqliteEventStore.open({ filename: ':memory:', registry });
    const store = new InMemoryEventStore({ registry });
    const attempts: number[] = [];
    const custom = defineApp({
      domain: 'AppTestCustom',
      aggregates: shopApp.aggregates,
      reactions: [
        {
          name: 'ReserveThenFailOnce',
          eventTypes: ['OrderPlaced'],
          retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
          async handle(event, { commands, attempt }) {
            attempts.push(attempt);
            const data = event.data as { sku: string; quantity: number };
            await commands.stock.reserve(data.sku, { orderId: event.aggregateId, quantity: data.quantity });
            if (attempt === 1) throw new Error('crashed after the append, before the checkpoint');
          },
        },
      ],
    });
    Stock.reserveCalls = 0;
    const app = await createApp(custom, { store, database: sqlite.db, aggregates: shopClasses, logger: quiet });
    try {
      await app.stock.receive('MUG', { quantity: 5 });
      const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 });
      await app.waitForProjections({ position: placed.position, includeReactions: true });
      expect(attempts).toEqual([1, 2]);
      expect(Stock.reserveCalls).toBe(1);
      expect((await app.repository('stock').load('MUG')).state.available).toBe(3);
      const reserved = await lastEvent(store, 'Stock-MUG');
      // Without a correlation id of its own, the order event is its own correlation.
      expect(reserved.correlationId).toBe(placed.events[0]!.correlationId);
      expect(reserved.causationId).toBe(placed.events[0]!.eventId);
    } finally {
      await app.close();
      await sqlite.close();
    }
  });
});

async function waitUntil(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A view of `inner` where another writer appends StockReceived to Stock-MUG just before the first append. */
function withOneConcurrentWrite(inner: InMemoryEventStore): EventStore {
  let interfered = false;
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'appendToStream') {
        return async (...args: Parameters<EventStore['appendToStream']>) => {
          if (!interfered) {
            interfered = true;
            const other = new StockReceived(
              { quantity: 10 },
              { aggregateId: 'MUG', aggregateType: 'Stock', aggregateVersion: 1 },
            );
            await target.appendToStream('Stock-MUG', [other], { expectedVersion: 'no_stream' });
          }
          return target.appendToStream(...args);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
