// Created by eventsmith from examples/shop/domain/projections.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import type { Kysely } from '@eventsmith/runtime';
import type {
  DailyRevenueCustomHandlers,
  DailyRevenueTables,
  PaymentLedgerTables,
} from '../../../../generated/shop/index.js';
import { add } from '../../../decimal.js';

/**
 * The hand-written handlers of the DailyRevenue projection (`custom` in the YAML).
 * Pass them to the app: `createShopApp({ …, projections: { DailyRevenue: dailyRevenueHandlers } })`.
 * Write through `db`, the projection's transaction.
 */
export const dailyRevenueHandlers: DailyRevenueCustomHandlers = {
  async PaymentCaptured(event, { db }) {
    await addToDay(db, day(event.occurredAt), event.data.amount.currency, 'captured', event.data.amount.amount);
  },

  // PaymentRefunded has no currency: take the payment's from the PaymentLedger read model.
  async PaymentRefunded(event, { db }) {
    const ledger = db as unknown as Kysely<PaymentLedgerTables>;
    const payment = await ledger
      .selectFrom('payment_ledger')
      .select('currency')
      .where('payment_id', '=', event.aggregateId)
      .executeTakeFirst();
    await addToDay(db, day(event.occurredAt), payment?.currency ?? 'EUR', 'refunded', event.data.amount);
  },
};

/** Adds exactly (decimal strings, not floats) to one day's total, creating the row if needed. */
async function addToDay(
  db: Kysely<DailyRevenueTables>,
  revenueDay: string,
  currency: string,
  column: 'captured' | 'refunded',
  amount: string,
): Promise<void> {
  const row = await db
    .selectFrom('daily_revenue')
    .select(['captured', 'refunded'])
    .where('revenue_day', '=', revenueDay)
    .where('currency', '=', currency)
    .executeTakeFirst();
  if (!row) {
    await db
      .insertInto('daily_revenue')
      .values({ revenue_day: revenueDay, currency, [column]: amount })
      .execute();
    return;
  }
  await db
    .updateTable('daily_revenue')
    .set({ [column]: add(String(row[column]), amount) })
    .where('revenue_day', '=', revenueDay)
    .where('currency', '=', currency)
    .execute();
}

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}
