// Created by eventsmith from examples/shop/domain/payments.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import { EventsmithError } from '@eventsmith/runtime';
import type { Currency, PaymentAuthorizedV1ToV2 } from '../../../../generated/shop/index.js';

const CURRENCIES: readonly Currency[] = ['EUR', 'USD', 'GBP'];

/**
 * PaymentAuthorized v1 → v2, written by hand (`upcast: custom` in the YAML).
 * Pass it to `createShopRegistry({ upcasters: { PaymentAuthorizedV1ToV2: paymentAuthorizedV1ToV2 } })`.
 *
 * v1 kept the amount in cents and the currency as free text; v2 has a `Money` value.
 */
export const paymentAuthorizedV1ToV2: PaymentAuthorizedV1ToV2 = (data, record) => {
  const currency = data.currency.trim().toUpperCase();
  if (!CURRENCIES.includes(currency as Currency)) {
    throw new EventsmithError(
      'UPCAST.CONVERSION',
      `PaymentAuthorized ${record.eventId}: unknown currency "${data.currency}".`,
    );
  }
  const cents = String(Math.abs(data.amountCents)).padStart(3, '0');
  const amount = `${data.amountCents < 0 ? '-' : ''}${cents.slice(0, -2)}.${cents.slice(-2)}`;
  return { orderId: data.orderId, amount: { amount, currency: currency as Currency }, method: data.method };
};
