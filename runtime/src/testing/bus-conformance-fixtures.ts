import { z } from 'zod';
import { defineEvent, type DomainEvent } from '../events/domain-event.js';
import type { EventRecord } from '../events/event-record.js';
import { EventRegistry } from '../events/event-registry.js';
import type { JsonObject } from '../events/json.js';
import type { BusDelivery, BusHandler } from '../bus/event-bus.js';

/** Version 2 of an order event; version 1 had no currency (see {@link busConformanceRegistry}). */
export class ConformanceOrderPlaced extends defineEvent({
  type: 'conformance.OrderPlaced',
  version: 2,
  aggregateType: 'Order',
  schema: z.object({ total: z.number(), currency: z.string() }),
}) {}

export class ConformanceOrderShipped extends defineEvent({
  type: 'conformance.OrderShipped',
  aggregateType: 'Order',
  schema: z.object({ carrier: z.string() }),
}) {}

export class ConformanceCustomerRegistered extends defineEvent({
  type: 'conformance.CustomerRegistered',
  aggregateType: 'Customer',
  schema: z.object({ name: z.string() }),
}) {}

/** The registry the bus conformance suite hands to each factory: three events and one upcaster. */
export function busConformanceRegistry(): EventRegistry {
  return EventRegistry.create({
    events: [ConformanceOrderPlaced, ConformanceOrderShipped, ConformanceCustomerRegistered],
    upcasters: [
      {
        eventType: 'conformance.OrderPlaced',
        fromVersion: 1,
        upcast: (data) => ({ ...(data as JsonObject), currency: 'EUR' }),
      },
    ],
  });
}

/** Version 3 of the order event, as a newer release of the app defines it (a rolling deploy). */
export class ConformanceOrderPlacedV3 extends defineEvent({
  type: 'conformance.OrderPlaced',
  version: 3,
  aggregateType: 'Order',
  schema: z.object({ total: z.number(), currency: z.string(), channel: z.string() }),
}) {}

/** The registry of a newer release: {@link busConformanceRegistry} with the order event at v3. */
export function newerBusConformanceRegistry(): EventRegistry {
  return EventRegistry.create({
    events: [ConformanceOrderPlacedV3, ConformanceOrderShipped, ConformanceCustomerRegistered],
    upcasters: [
      {
        eventType: 'conformance.OrderPlaced',
        fromVersion: 1,
        upcast: (data) => ({ ...(data as JsonObject), currency: 'EUR' }),
      },
      {
        eventType: 'conformance.OrderPlaced',
        fromVersion: 2,
        upcast: (data) => ({ ...(data as JsonObject), channel: 'unknown' }),
      },
    ],
  });
}

/** An order event as an old producer stored it: schema version 1, no currency. */
export function orderPlacedV1(aggregateId: string, aggregateVersion: number, total: number): EventRecord {
  return {
    eventId: crypto.randomUUID(),
    eventType: 'conformance.OrderPlaced',
    eventVersion: 1,
    aggregateId,
    aggregateType: 'Order',
    aggregateVersion,
    occurredAt: '2023-05-01T10:00:00.000Z',
    tenantId: 'tenant-a',
    actorId: 'user-7',
    correlationId: 'corr-1',
    causationId: 'cmd-1',
    metadata: { source: 'legacy' },
    data: { total },
  };
}

/** A current-version order event. */
export function orderPlaced(aggregateId: string, aggregateVersion: number): ConformanceOrderPlaced {
  return new ConformanceOrderPlaced({ total: aggregateVersion, currency: 'EUR' }, { aggregateId, aggregateVersion });
}

/** Records what a handler saw, optionally failing or delaying on chosen deliveries. */
export class DeliveryRecorder {
  readonly deliveries: (BusDelivery & { readonly at: number })[] = [];
  /** Every call, successful or not, in call order. */
  readonly calls: (BusDelivery & { readonly at: number; readonly failed: boolean })[] = [];
  /** Every call as it starts, before the behaviour runs. */
  readonly entered: BusDelivery[] = [];
  behaviour: (delivery: BusDelivery) => Promise<void> | void = () => {};

  readonly handler: BusHandler = async (delivery) => {
    const at = performance.now();
    this.entered.push(delivery);
    try {
      await this.behaviour(delivery);
    } catch (error) {
      this.calls.push({ ...delivery, at, failed: true });
      throw error;
    }
    this.calls.push({ ...delivery, at, failed: false });
    this.deliveries.push({ ...delivery, at });
  };

  get events(): DomainEvent[] {
    return this.deliveries.map((d) => d.event);
  }

  ids(): string[] {
    return this.deliveries.map((d) => d.event.eventId);
  }

  /** Successfully handled aggregate versions of one aggregate, in handling order. */
  versionsOf(aggregateId: string): number[] {
    return this.deliveries.filter((d) => d.event.aggregateId === aggregateId).map((d) => d.event.aggregateVersion);
  }
}

/** Polls until `condition` holds, failing with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
