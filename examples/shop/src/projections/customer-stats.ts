// Created by eventsmith from examples/shop/domain/projections.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import type { Kysely } from '@eventsmith/runtime';
import type { CustomerStatsCustomHandlers, OrderSummaryTables } from '../../../../generated/shop/index.js';

/**
 * The hand-written handlers of the CustomerStats projection (`custom` in the YAML).
 * Pass them to the app: `createShopApp({ …, projections: { CustomerStats: customerStatsHandlers } })`.
 * Write through `db`, the projection's transaction.
 */
export const customerStatsHandlers: CustomerStatsCustomHandlers = {
  // OrderCancelled carries the customer id (`from: state.customerId` in the YAML). Events stored
  // before it did have none: take it from the OrderSummary read model, which lives in the same
  // database (so run OrderSummary first when feeding projections by hand).
  async OrderCancelled(event, { db }) {
    const orders = db as unknown as Kysely<OrderSummaryTables>;
    const order = event.data.customerId
      ? { customer_id: event.data.customerId }
      : await orders
          .selectFrom('order_summaries')
          .select('customer_id')
          .where('order_id', '=', event.aggregateId)
          .executeTakeFirst();
    if (!order) return;
    await db
      .updateTable('customer_stats')
      .set((eb) => ({ orders_cancelled: eb('orders_cancelled', '+', 1) }))
      .where('customer_id', '=', order.customer_id)
      .execute();
  },
};
