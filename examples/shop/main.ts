/**
 * The shop example, end to end: `eventsmith generate && tsx examples/shop/main.ts [--store memory]`.
 *
 * Orders, inventory and payments: places and pays an order, reserves stock, ships and delivers
 * it, cancels a second order, refunds part of a payment, shows a rejected over-reservation, then
 * runs every projection (two of them with hand-written handlers) and prints the read models.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AggregateRepository,
  CommandRejectedError,
  InMemoryEventStore,
  migrateProjections,
  type EventStore,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import {
  createShopProjections,
  createShopRegistry,
  projectionMigrations,
  type ProjectionDatabase,
} from '../../generated/shop/index.js';
import { InventoryItem } from './src/aggregates/inventory-item.js';
import { Order } from './src/aggregates/order.js';
import { Payment } from './src/aggregates/payment.js';
import { customerStatsHandlers } from './src/projections/customer-stats.js';
import { dailyRevenueHandlers } from './src/projections/daily-revenue.js';
import { paymentAuthorizedV1ToV2 } from './src/upcasters/payment-authorized-v1-to-v2.js';

const memory = process.argv.includes('--store') && process.argv[process.argv.indexOf('--store') + 1] === 'memory';
const registry = createShopRegistry({ upcasters: { PaymentAuthorizedV1ToV2: paymentAuthorizedV1ToV2 } });
const file = join(dirname(fileURLToPath(import.meta.url)), 'shop.sqlite');
for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
const sqlite = await SqliteEventStore.open({ filename: memory ? ':memory:' : file, registry });
const store: EventStore = memory ? new InMemoryEventStore({ registry }) : sqlite;
const db = sqlite.db as unknown as ProjectionDatabase;
await migrateProjections(db, projectionMigrations);

const orders = new AggregateRepository(store, Order);
const stock = new AggregateRepository(store, InventoryItem);
const payments = new AggregateRepository(store, Payment);
const customer = '0190a0b4-4a4e-7c3d-8f2a-00000000c001';
const address = { street: 'Hauptstr. 1', city: 'Berlin', postcode: '10115' };
const lines = [{ sku: 'MUG-1', quantity: 2, unitPrice: '12.50' }];

await stock.update('MUG-1', (item) => item.receive({ quantity: 10 }), { create: true });
await orders.update('order-1', (o) => o.place({ customerId: customer, lines, shippingAddress: address }), {
  create: true,
});
await stock.update('MUG-1', (item) => item.reserve({ orderId: '0190a0b4-4a4e-7c3d-8f2a-0000000000a1', quantity: 2 }));
try {
  await stock.update('MUG-1', (item) =>
    item.reserve({ orderId: '0190a0b4-4a4e-7c3d-8f2a-0000000000a9', quantity: 50 }),
  );
} catch (error) {
  if (!(error instanceof CommandRejectedError)) throw error;
  console.log(`Rejected: ${error.message}`);
}
const paymentId = '0190a0b4-4a4e-7c3d-8f2a-0000000000b1';
const amount = { amount: '25.00', currency: 'EUR' as const };
await payments.update(
  paymentId,
  (p) => p.authorize({ orderId: '0190a0b4-4a4e-7c3d-8f2a-0000000000a1', amount, method: 'card' }),
  { create: true },
);
await orders.update('order-1', (o) => o.markPaid({ paymentId, amount }));
await payments.update(paymentId, (p) => p.capture());
await orders.update('order-1', (o) => o.ship({ carrier: 'DHL', trackingNumber: 'JJD000123' }));
await orders.update('order-1', (o) => o.confirmDelivery());
await payments.update(paymentId, (p) => p.refund({ amount: '12.50', reason: 'one mug broke' }));
await orders.update('order-2', (o) => o.place({ customerId: customer, lines, shippingAddress: address }), {
  create: true,
});
await orders.update('order-2', (o) => o.cancel({ reason: 'changed my mind' }));

// OrderSummary and PaymentLedger first: the custom handlers of CustomerStats and DailyRevenue read them.
const projections = createShopProjections({ CustomerStats: customerStatsHandlers, DailyRevenue: dailyRevenueHandlers });
const order = ['OrderSummary', 'PaymentLedger'];
projections.sort((a, b) => (order.includes(b.name) ? 1 : 0) - (order.includes(a.name) ? 1 : 0));
for (const projection of projections) {
  await sqlite.transaction(async (tx) => {
    for await (const stored of store.readAll({ eventTypes: projection.eventTypes }))
      await projection.handle(stored, { db: tx.sql as ProjectionDatabase });
  });
}
for (const table of ['order_summaries', 'customer_stats', 'stock_levels', 'payment_ledger', 'daily_revenue']) {
  console.log(`\n${table}:`);
  for (const row of await db.selectFrom(table).selectAll().execute()) console.log(`  ${JSON.stringify(row)}`);
}
await store.close();
if (store !== sqlite) await sqlite.close();
