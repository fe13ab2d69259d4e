import { describe, expect, it } from 'vitest';
import type { EventClass } from '../events/domain-event.js';
import type { EventRecord } from '../events/event-record.js';
import type { EventRegistry } from '../events/event-registry.js';

/** The golden cases of one versioned event: what each old version must read as today. */
export interface UpcasterGoldenCases {
  /** The event's class, at its current version. */
  readonly event: EventClass;
  /** Per old version: a stored payload, and the current payload the upcasters must lift it to. */
  readonly lifts?: readonly UpcasterGoldenLift[];
  /** Old type names that must still read as `event`. */
  readonly renamedFrom?: readonly string[];
  /** Old versions whose chain passes a hand-written step: reported as skipped, naming where that step is tested. */
  readonly custom?: readonly UpcasterGoldenCustom[];
}

export interface UpcasterGoldenLift {
  readonly from: number;
  readonly sample: EventRecord['data'];
  readonly expected: EventRecord['data'];
}

export interface UpcasterGoldenCustom {
  readonly from: number;
  /** The hand-written step `step` → `step + 1` on the way. */
  readonly step: number;
  /** The file whose test covers that step. */
  readonly testedBeside: string;
}

/**
 * The envelope every golden sample is stored with. Upcast steps that read the record (such as
 * `occurredAt` or `actorId`) see these values, so expected payloads are computed from them.
 */
export const upcasterGoldenEnvelope = Object.freeze({
  eventId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',
  aggregateId: 'golden-1',
  aggregateVersion: 1,
  occurredAt: '2024-01-15T09:30:00.000Z',
  tenantId: 'tenant-golden',
  actorId: 'actor-golden',
  correlationId: '0190a0b4-4a4e-7c3d-8f2a-000000000001',
  causationId: null,
}) satisfies Omit<EventRecord, 'eventType' | 'eventVersion' | 'aggregateType' | 'metadata' | 'data'>;

/**
 * Golden tests for upcasters, as a vitest suite: one `describe` per event. Each lift stores its
 * sample at the old version, checks the registry upcasts it to exactly `expected`, and that it
 * decodes to an instance of the event at its current version. `eventsmith generate` writes one
 * call per domain (`upcasters/golden.unit.test.ts`); call it yourself for hand-written registries.
 *
 * @example
 * ```ts
 * describeUpcasterGoldens(createBankRegistry(), [
 *   {
 *     event: AccountOpened,
 *     lifts: [{ from: 1, sample: { ownerName: 'Ann', initialBalance: 10.5 }, expected: { ownerName: 'Ann', initialBalance: '10.5', currency: 'EUR' } }],
 *     renamedFrom: ['BankAccountCreated'],
 *   },
 * ]);
 * ```
 */
export function describeUpcasterGoldens(registry: EventRegistry, events: readonly UpcasterGoldenCases[]): void {
  for (const cases of events) {
    const cls = cases.event;
    describe(`${cls.eventType} upcasters (golden)`, () => {
      for (const lift of cases.lifts ?? []) {
        it(`lifts a v${lift.from} payload to the current v${cls.eventVersion} shape`, () => {
          const record: EventRecord = {
            ...upcasterGoldenEnvelope,
            eventType: cls.eventType,
            eventVersion: lift.from,
            aggregateType: cls.aggregateType ?? '',
            metadata: {},
            data: lift.sample,
          };
          expect(registry.upcast(record).data).toEqual(lift.expected);
          const event = registry.decode(record);
          expect(event).toBeInstanceOf(cls);
          expect(event.eventVersion).toBe(cls.eventVersion);
        });
      }
      for (const oldName of cases.renamedFrom ?? []) {
        it(`reads events stored under the old name ${oldName}`, () => {
          expect(registry.get(oldName)).toBe(cls);
        });
      }
      for (const custom of cases.custom ?? []) {
        it.skip(`v${custom.from} → v${cls.eventVersion}: passes the custom step v${custom.step} → v${custom.step + 1} (tested beside ${custom.testedBeside})`, () => {});
      }
    });
  }
}
