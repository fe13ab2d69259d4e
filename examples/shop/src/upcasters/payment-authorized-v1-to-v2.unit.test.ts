// Created by eventsmith from examples/shop/domain/payments.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import { describe, expect, it } from 'vitest';
import {
  PaymentAuthorized,
  createShopRegistry,
  paymentAuthorizedV1Sample,
  shopCustomUpcasterPlaceholders,
} from '../../../../generated/shop/index.js';
import { paymentAuthorizedV1ToV2 } from './payment-authorized-v1-to-v2.js';

describe('paymentAuthorizedV1ToV2 (custom upcaster)', () => {
  it('lifts the v1 sample to a valid current PaymentAuthorized', () => {
    const registry = createShopRegistry({
      upcasters: { ...shopCustomUpcasterPlaceholders, PaymentAuthorizedV1ToV2: paymentAuthorizedV1ToV2 },
    });
    const event = registry.decode({
      eventId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',
      eventType: 'PaymentAuthorized',
      eventVersion: 1,
      aggregateId: 'golden-1',
      aggregateType: 'Payment',
      aggregateVersion: 1,
      occurredAt: '2024-01-15T09:30:00.000Z',
      tenantId: null,
      actorId: null,
      correlationId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',
      causationId: null,
      metadata: {},
      // The generated sample has free text for `currency`; v1 stored ISO codes in any case.
      data: { ...paymentAuthorizedV1Sample, amountCents: 1050, currency: ' eur ' },
    });
    expect(event).toBeInstanceOf(PaymentAuthorized);
    expect((event as PaymentAuthorized).data.amount).toEqual({ amount: '10.50', currency: 'EUR' });
  });

  it('refuses a currency the shop does not know', () => {
    const record = {
      eventId: 'e-1',
      eventType: 'PaymentAuthorized',
      eventVersion: 1,
      aggregateId: 'p-1',
      aggregateType: 'Payment',
      aggregateVersion: 1,
      occurredAt: '2024-01-15T09:30:00.000Z',
      tenantId: null,
      actorId: null,
      correlationId: 'e-1',
      causationId: null,
      metadata: {},
    };
    expect(() =>
      paymentAuthorizedV1ToV2({ ...paymentAuthorizedV1Sample, currency: 'XYZ' }, { ...record, data: {} }),
    ).toThrow(/unknown currency "XYZ"/);
  });
});
