import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { CommandValidationError } from '../errors.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { PostgresNotifyWakeUp } from '../subscriptions/postgres-notify-wake-up.js';
import { createApp, type App } from './create-app.js';
import { registry, shopApp, shopClasses, Stock, StockReserved } from './test-support/shop-app.js';

const quiet = { warn: () => undefined, error: () => undefined };

await describeWithService('postgres', 'createApp on PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  let store: PostgresEventStore;
  let app: App<typeof shopApp.aggregates, typeof shopClasses>;
  const start = () =>
    createApp(shopApp, {
      store,
      aggregates: shopClasses,
      logger: quiet,
      // Appends by other processes wake the subscriptions through LISTEN/NOTIFY.
      wakeUps: [new PostgresNotifyWakeUp({ connect: () => new pg.Client({ connectionString: url }) })],
    });

  beforeEach(async () => {
    ({ url, drop } = await freshPostgresDatabase());
    store = await PostgresEventStore.open({ url, registry });
    Stock.reserveCalls = 0;
    app = await start();
  });
  afterEach(async () => {
    await app.close();
    await store.close();
    await drop();
  });

  it('migrates, dispatches, projects and reacts', async () => {
    expect(app.migrations.steps.find((s) => s.tables === 'projections')?.applied).toEqual([
      '0001_create_app_test_stock_levels',
    ]);
    await expect(app.order.place('order-1', { sku: 'MUG', quantity: 0 })).rejects.toThrow(CommandValidationError);
    await app.stock.receive('MUG', { quantity: 5 });
    const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 }, { correlationId: 'checkout-1' });
    await app.waitForProjections({ position: placed.position, includeReactions: true });
    await app.waitForProjections();
    const rows = await app.database!.selectFrom('app_test_stock_levels').selectAll().execute();
    expect(rows).toEqual([{ sku: 'MUG', available: 3 }]);
    const reserved: StockReserved[] = [];
    for await (const { event } of store.readStream('Stock-MUG'))
      if (event instanceof StockReserved) reserved.push(event);
    expect(reserved).toHaveLength(1);
    expect(reserved[0]).toMatchObject({ causationId: placed.events[0]!.eventId, correlationId: 'checkout-1' });
  });

  it('dispatches a reaction once when its event is delivered again after a restart', async () => {
    await app.stock.receive('MUG', { quantity: 5 });
    const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 });
    await app.waitForProjections({ position: placed.position, includeReactions: true });
    await app.close();
    await app.manager.checkpoints.reset('ReserveStockOnOrderPlaced', null);
    app = await start();
    expect(app.migrations.steps.every((s) => s.applied.length === 0)).toBe(true);
    await app.waitForProjections({ includeReactions: true });
    expect(await store.getStreamVersion('Stock-MUG')).toBe(2);
    expect(Stock.reserveCalls).toBe(1);
  });

  it('waits for events appended by another process', async () => {
    const other = await PostgresEventStore.open({ url, registry, migrate: false });
    try {
      const writer = await createApp(shopApp, {
        store: other,
        aggregates: shopClasses,
        logger: quiet,
        migrate: false,
        start: false,
      });
      const { position } = await writer.stock.receive('CUP', { quantity: 4 });
      await app.waitForProjections({ position });
      const rows = await app.database!.selectFrom('app_test_stock_levels').selectAll().execute();
      expect(rows).toEqual([{ sku: 'CUP', available: 4 }]);
    } finally {
      await other.close();
    }
  });

  it('runs each projection and reaction in one process of several, the others standing by', async () => {
    const other = await PostgresEventStore.open({ url, registry, migrate: false });
    const second = await createApp(shopApp, { store: other, aggregates: shopClasses, logger: quiet, migrate: false });
    try {
      await second.stock.receive('MUG', { quantity: 5 });
      const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 });
      await app.waitForProjections({ position: placed.position, includeReactions: true });
      await second.waitForProjections({ position: placed.position, includeReactions: true });
      const states = async (of: typeof app) =>
        Object.fromEntries((await of.manager.statuses()).map((s) => [s.name, s.state]));
      // Whichever took a subscription's lease first runs it; the other waits to take over.
      const mine = await states(app);
      const theirs = await states(second);
      expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
      for (const name of Object.keys(mine)) expect([mine[name], theirs[name]].sort()).toEqual(['live', 'standby']);
      expect(Stock.reserveCalls).toBe(1);
      const rows = await app.database!.selectFrom('app_test_stock_levels').selectAll().execute();
      expect(rows).toEqual([{ sku: 'MUG', available: 3 }]);
    } finally {
      await second.close();
      await other.close();
    }
  });
});
