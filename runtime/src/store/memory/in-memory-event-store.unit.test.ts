import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidArgumentError, PositionForeignError } from '../../errors.js';
import { defineEvent } from '../../events/domain-event.js';
import { EventRegistry } from '../../events/event-registry.js';
import type { JsonObject } from '../../events/json.js';
import type { Upcaster } from '../../events/upcaster.js';
import type { EventStoreTransaction } from '../event-store.js';
import { Position } from '../position.js';
import { InMemorySnapshotStore } from '../../snapshots/memory/in-memory-snapshot-store.js';
import {
  collect,
  ConformanceNoted,
  conformanceRegistry,
  snapshotStoreConformanceSuite,
  storeConformanceSuite,
} from '../../testing/conformance.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

storeConformanceSuite('InMemoryEventStore', async () => ({
  store: new InMemoryEventStore({ registry: conformanceRegistry }),
}));

snapshotStoreConformanceSuite('InMemorySnapshotStore', async () => ({ store: new InMemorySnapshotStore() }));

describe('InMemoryEventStore specifics', () => {
  it('keeps stored records frozen, so an upcaster that edits its input fails instead of corrupting the store', async () => {
    class V1 extends defineEvent({ type: 'Edited', version: 1, schema: z.object({ n: z.number() }) }) {}
    class V2 extends defineEvent({ type: 'Edited', version: 2, schema: z.object({ n: z.number() }) }) {}
    const inPlace: Upcaster = {
      eventType: 'Edited',
      fromVersion: 1,
      upcast: (data) => {
        (data as JsonObject)['n'] = 99;
        return data;
      },
    };
    const store = new InMemoryEventStore({ registry: EventRegistry.create({ events: [V2], upcasters: [inPlace] }) });
    await store.appendToStream('S-1', [new V1({ n: 1 })], { expectedVersion: 'no_stream' });
    const error = await collect(store.readStream('S-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toMatch(/read.only|frozen|Cannot assign/);
  });

  it('refuses positions of another store', async () => {
    const store = new InMemoryEventStore({ registry: conformanceRegistry });
    await expect(collect(store.readAll({ after: Position.of('elsewhere', 1) }))).rejects.toBeInstanceOf(
      PositionForeignError,
    );
  });

  it('refuses appends through a transaction that has ended', async () => {
    const store = new InMemoryEventStore({ registry: conformanceRegistry });
    let leaked: EventStoreTransaction | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
    });
    const event = new ConformanceNoted({ text: 'late', n: 1 });
    await expect(leaked!.appendToStream('Conformance-x', [event], { expectedVersion: 'any' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    expect(await store.eventExists(event.eventId)).toBe(false);
  });

  it('runs every afterCommit callback even if one throws, then rethrows the first error; the commit stands', async () => {
    const store = new InMemoryEventStore({ registry: conformanceRegistry });
    const ran: string[] = [];
    const boom = new Error('callback failed');
    await expect(
      store.transaction(async (tx) => {
        await tx.appendToStream('Conformance-1', [new ConformanceNoted({ text: 'x', n: 1 })], {
          expectedVersion: 'no_stream',
        });
        tx.afterCommit(() => {
          ran.push('first');
          throw boom;
        });
        tx.afterCommit(() => void ran.push('second'));
      }),
    ).rejects.toBe(boom);
    expect(ran).toEqual(['first', 'second']);
    expect(await store.getStreamVersion('Conformance-1')).toBe(1);
  });
});
