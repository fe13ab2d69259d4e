/**
 * The shop on its generated app facade (`createShopApp`), on SQLite and PostgreSQL: placing an
 * order runs the ReserveStock reaction declared in examples/shop/domain/reactions.yaml, which
 * reserves the stock of every order line on its InventoryItem, with the order's correlation id
 * and the triggering event as causation.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { AppConfigError, type EventStore } from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { PostgresEventStore } from '@eventsmith/runtime/postgres';
import { createShopApp, createShopRegistry } from '../../generated/shop/index.js';
import { InventoryItem } from '../../examples/shop/src/aggregates/inventory-item.js';
import { Order } from '../../examples/shop/src/aggregates/order.js';
import { Payment } from '../../examples/shop/src/aggregates/payment.js';
import { customerStatsHandlers } from '../../examples/shop/src/projections/customer-stats.js';
import { dailyRevenueHandlers } from '../../examples/shop/src/projections/daily-revenue.js';
import { paymentAuthorizedV1ToV2 } from '../../examples/shop/src/upcasters/payment-authorized-v1-to-v2.js';
import { describeWithService, freshPostgresDatabase } from '../support/services.js';

const registry = createShopRegistry({ upcasters: { PaymentAuthorizedV1ToV2: paymentAuthorizedV1ToV2 } });
const quiet = { warn: () => undefined, error: () => undefined };

interface Target {
  open(): Promise<{ store: EventStore; close(): Promise<void> }>;
}

const TARGETS: { name: string; service?: 'postgres'; target: Target }[] = [
  {
    name: 'SQLite',
    target: {
      async open() {
        const store = await SqliteEventStore.open({ filename: ':memory:', registry });
        return { store, close: () => store.close() };
      },
    },
  },
  {
    name: 'PostgreSQL',
    service: 'postgres',
    target: {
      async open() {
        const fresh = await freshPostgresDatabase();
        const store = await PostgresEventStore.open({ url: fresh.url, registry });
        return {
          store,
          close: async () => {
            await store.close();
            await fresh.drop();
          },
        };
      },
    },
  },
];

for (const { name, service, target } of TARGETS) {
  const suite = () => {
    it('a placed order reserves the stock of each line through the ReserveStock reaction', async () => {
      const opened = await target.open();
      const app = await createShopApp({
        store: opened.store,
        aggregates: { inventoryItem: InventoryItem, order: Order, payment: Payment },
        projections: { CustomerStats: customerStatsHandlers, DailyRevenue: dailyRevenueHandlers },
        logger: quiet,
        subscriptions: { pollIntervalMs: 50 },
      });
      try {
        await app.inventoryItem.receive('MUG-1', { quantity: 10 });
        await app.inventoryItem.receive('TEA-1', { quantity: 5 });
        const orderId = randomUUID();
        const placed = await app.order.place(
          orderId,
          {
            customerId: randomUUID(),
            lines: [
              { sku: 'MUG-1', quantity: 2, unitPrice: '12.50' },
              { sku: 'TEA-1', quantity: 3, unitPrice: '4.00' },
            ],
            shippingAddress: { street: 'Hauptstr. 1', city: 'Berlin', postcode: '10115' },
          },
          { correlationId: 'checkout-1' },
        );
        const trigger = placed.events[0]!;

        // The reaction runs as a subscription: wait until it has handled the order's event.
        await app.waitForProjections({ position: placed.position, includeReactions: true });
        expect((await app.repository('inventoryItem').load('MUG-1')).state.reserved).toBe(2);
        expect((await app.repository('inventoryItem').load('TEA-1')).state.reserved).toBe(3);

        // Each reservation names the order, carries the checkout's correlation and the order's event as causation.
        const reservations = [];
        for await (const stored of opened.store.readAll())
          if (stored.event.eventType === 'StockReserved') reservations.push(stored.event);
        expect(reservations).toHaveLength(2);
        for (const r of reservations) {
          expect((r.data as { orderId: string }).orderId).toBe(orderId);
          expect(r.correlationId).toBe('checkout-1');
          expect(r.causationId).toBe(trigger.eventId);
        }

        // Delivered again (as after a crash before the reaction's checkpoint): nothing is reserved twice.
        await app.close();
        await app.manager.checkpoints.reset('ReserveStock', null);
        await app.start();
        await app.waitForProjections({ includeReactions: true });
        expect((await app.repository('inventoryItem').load('MUG-1')).state.reserved).toBe(2);
        expect((await app.repository('inventoryItem').load('TEA-1')).state.reserved).toBe(3);
        expect((await app.manager.status('ReserveStock')).processed).toBeGreaterThanOrEqual(1);
      } finally {
        await app.close();
        await opened.close();
      }
    }, 120_000);
  };
  if (service) await describeWithService(service, `the shop app on ${name}`, suite);
  else suite();
}

it('createShopApp without its projections option (JavaScript, or a cast) names the option and what to pass', async () => {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry });
  try {
    const aggregates = { inventoryItem: InventoryItem, order: Order, payment: Payment };
    for (const projections of [undefined, { DailyRevenue: dailyRevenueHandlers }]) {
      const options = { store, aggregates, projections, logger: quiet } as unknown as Parameters<
        typeof createShopApp
      >[0];
      const error = await createShopApp(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppConfigError);
      expect((error as AppConfigError).code).toBe('APP.CONFIG');
      expect((error as Error).message).toContain('The custom handlers of CustomerStats are missing (got undefined)');
      expect((error as Error).message).toContain('projections: { CustomerStats: … }');
    }
  } finally {
    await store.close();
  }
});
