/** Events and helpers for the undecodable-event tests: a reader that cannot decode everything a writer stored. */
import { z } from 'zod';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import { defineUpcaster } from '../events/upcaster.js';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';

// Version 1 as old code wrote it; the registry knows version 2 and an upcaster that refuses 13.
export class PaidV1 extends defineEvent({
  type: 'Paid',
  version: 1,
  aggregateType: 'Bill',
  schema: z.object({ amount: z.number().int() }),
}) {}
export class Paid extends defineEvent({
  type: 'Paid',
  version: 2,
  aggregateType: 'Bill',
  schema: z.object({ cents: z.number().int() }),
}) {}
export class Mystery extends defineEvent({ type: 'Mystery', aggregateType: 'Bill', schema: z.object({}) }) {}
const upcasters = [
  defineUpcaster<{ amount: number }, { cents: number }>({
    eventType: 'Paid',
    fromVersion: 1,
    upcast: (data) => {
      if (data.amount === 13) throw new Error('unlucky amount');
      return { cents: data.amount * 100 };
    },
  }),
];
export const readerRegistry = EventRegistry.create({ events: [Paid], upcasters });
/** Version 3, as a newer release of the app writes it (a rolling deploy): readerRegistry knows up to v2. */
export class PaidV3 extends defineEvent({
  type: 'Paid',
  version: 3,
  aggregateType: 'Bill',
  schema: z.object({ cents: z.number().int(), currency: z.string() }),
}) {}
/** The newer release's registry: Paid up to v3. */
export const newerRegistry = EventRegistry.create({
  events: [PaidV3],
  upcasters: [
    ...upcasters,
    defineUpcaster<{ cents: number }, { cents: number; currency: string }>({
      eventType: 'Paid',
      fromVersion: 2,
      upcast: (data) => ({ ...data, currency: 'EUR' }),
    }),
  ],
});
/** What another service (or an older release) wrote with: it also knows Mystery. */
export const writerRegistry = EventRegistry.create({ events: [Paid, Mystery], upcasters });

/** Amounts 1..5 as v1 Paid events; `undecodable` amounts are written as Mystery (when `mystery`) or as 13. */
export async function appendBills(writer: EventStore, undecodable: number, mystery: boolean): Promise<void> {
  for (let amount = 1; amount <= 5; amount++) {
    const event =
      amount !== undecodable
        ? new PaidV1({ amount }, { aggregateId: `b${amount}` })
        : mystery
          ? new Mystery({}, { aggregateId: `b${amount}` })
          : new PaidV1({ amount: 13 }, { aggregateId: `b${amount}` });
    await writer.appendToStream(`Bill-b${amount}`, [event], { expectedVersion: 'no_stream' });
  }
}

export const centsOf = (s: StoredEvent) => (s.event as Paid).data.cents;

/** Every feed position, undecodable events included. */
export async function collectPositions(store: EventStore): Promise<Position[]> {
  const positions: Position[] = [];
  let after: Position | null = null;
  for (;;) {
    try {
      for await (const stored of store.readAll({ after })) positions.push(stored.position);
      return positions;
    } catch (error) {
      if (!(error instanceof UndecodableEventError)) throw error;
      positions.push(error.position);
      after = error.position;
    }
  }
}
