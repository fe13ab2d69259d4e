/**
 * The shop example, end to end: `eventsmith generate && tsx examples/shop/main.ts [--store memory]`.
 *
 * Orders, inventory and payments, wired in one call (`createShopApp`). Placing an order reserves
 * its stock through a reaction across aggregates (`ReserveStock` in domain/reactions.yaml), with
 * the order event's correlation and causation ids. The example pays, ships and delivers an order,
 * cancels a second one, refunds part of a payment, shows a rejected over-reservation, then waits
 * for every projection (two of them with hand-written handlers) and prints the read models.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandRejectedError, InMemoryEventStore, type EventStore } from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { createShopApp, createShopRegistry } from '../../generated/shop/index.js';
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
// With --store memory, events live in memory and the read models in an in-memory SQLite database.
const sqlite = await SqliteEventStore.open({ filename: memory ? ':memory:' : file, registry });
const store: EventStore = memory ? new InMemoryEventStore({ registry }) : sqlite;

const app = await createShopApp({
  store,
  database: sqlite.db,
  aggregates: { inventoryItem: InventoryItem, order: Order, payment: Payment },
  projections: { CustomerStats: customerStatsHandlers, DailyRevenue: dailyRevenueHandlers },
});

const customer = '0190a0b4-4a4e-7c3d-8f2a-00000000c001';
const firstOrder = '0190a0b4-4a4e-7c3d-8f2a-0000000000a1';
const secondOrder = '0190a0b4-4a4e-7c3d-8f2a-0000000000a2';
const address = { street: 'Hauptstr. 1', city: 'Berlin', postcode: '10115', country: 'DE' };
const lines = [{ sku: 'MUG-1', quantity: 2, unitPrice: '12.50' }];

await app.inventoryItem.receive('MUG-1', { quantity: 10 });
// `currency` is left out: the command's schema fills in its default (EUR).
const placed = await app.order.place(
  firstOrder,
  { customerId: customer, lines, shippingAddress: address },
  { correlationId: 'checkout-1' },
);
// The ReserveStock reaction reserves the order's mugs; wait for it before asking for more.
await app.waitForProjections({ position: placed.position, includeReactions: true });
try {
  await app.inventoryItem.reserve('MUG-1', { orderId: '0190a0b4-4a4e-7c3d-8f2a-0000000000a9', quantity: 50 });
} catch (error) {
  if (!(error instanceof CommandRejectedError)) throw error;
  console.log(`Rejected: ${error.message}`);
}
for await (const { event } of store.readStream('InventoryItem-MUG-1')) {
  if (event.eventType === 'StockReserved') {
    const caused = event.causationId === placed.events[0]!.eventId ? `OrderPlaced ${event.causationId}` : 'unknown';
    console.log(`StockReserved ${JSON.stringify(event.data)}, caused by ${caused}, correlation ${event.correlationId}`);
  }
}

const paymentId = '0190a0b4-4a4e-7c3d-8f2a-0000000000b1';
const amount = { amount: '25.00', currency: 'EUR' as const };
await app.payment.authorize(paymentId, { orderId: firstOrder, amount, method: 'card' });
await app.order.markPaid(firstOrder, { paymentId, amount });
await app.payment.capture(paymentId);
await app.order.ship(firstOrder, { carrier: 'DHL', trackingNumber: 'JJD000123' });
await app.order.confirmDelivery(firstOrder);
await app.payment.refund(paymentId, { amount: '12.50', reason: 'one mug broke' });
await app.order.place(secondOrder, { customerId: customer, lines, shippingAddress: address });
await app.order.cancel(secondOrder, { reason: 'changed my mind' });

// Read your writes: the reactions first (they append), then every projection up to the end.
await app.waitForProjections({ includeReactions: true });
await app.waitForProjections();
for (const table of ['order_summaries', 'customer_stats', 'stock_levels', 'payment_ledger', 'daily_revenue']) {
  console.log(`\n${table}:`);
  for (const row of await app.database!.selectFrom(table).selectAll().execute())
    console.log(`  ${JSON.stringify(row)}`);
}

await app.close();
await store.close();
if (store !== sqlite) await sqlite.close();
