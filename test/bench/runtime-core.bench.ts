/**
 * Runtime core on the in-memory store: append throughput, aggregate load time with and without a
 * snapshot, and the cost of upcasting on read.
 */
import { z } from 'zod';
import {
  AggregateRepository,
  AggregateRoot,
  EventRegistry,
  InMemoryEventStore,
  InMemorySnapshotStore,
  defineEvent,
  defineUpcaster,
  everyNEvents,
  handles,
  type DomainEvent,
  type JsonObject,
} from '@eventsmith/runtime';
import { median, perSecond, ratio, table, time } from './harness.js';

class Deposited extends defineEvent({
  type: 'BenchDeposited',
  schema: z.object({ amount: z.string(), note: z.string() }),
}) {}
class Tallied extends defineEvent({
  type: 'BenchTallied',
  schema: z.object({ cents: z.number().int(), currency: z.string() }),
}) {}
class TalliedV1 extends defineEvent({ type: 'BenchTallied', version: 1, schema: z.object({ amount: z.number() }) }) {}
class TalliedV3 extends defineEvent({
  type: 'BenchTallied',
  version: 3,
  schema: z.object({ cents: z.number().int(), currency: z.string() }),
}) {}

class Account extends AggregateRoot<{ deposits: number }> {
  static override readonly aggregateType = 'BenchAccount';
  static override readonly stateSchema = z.object({ deposits: z.number() });
  protected initialState() {
    return { deposits: 0 };
  }
  deposit() {
    this.raise(new Deposited({ amount: '1.00', note: 'bench' }));
  }
  @handles(Deposited)
  onDeposited(_e: Deposited) {
    return { deposits: this.state.deposits + 1 };
  }
}

const registry = EventRegistry.create({ events: [Deposited, Tallied] });
const upcastingRegistry = EventRegistry.create({
  events: [Deposited, TalliedV3],
  upcasters: [
    defineUpcaster<{ amount: number }, { cents: number }>({
      eventType: 'BenchTallied',
      fromVersion: 1,
      upcast: (d) => ({ cents: Math.round(d.amount * 100) }),
    }),
    defineUpcaster<JsonObject, JsonObject>({
      eventType: 'BenchTallied',
      fromVersion: 2,
      upcast: (d) => ({ ...d, currency: 'EUR' }),
    }),
  ],
});

async function appendThroughput(perAppend: number, totalEvents: number): Promise<number> {
  const store = new InMemoryEventStore({ registry });
  const streams = 100;
  const batches: { stream: string; events: DomainEvent[] }[] = [];
  for (let i = 0; i < totalEvents / perAppend; i++) {
    batches.push({
      stream: `BenchAccount-${i % streams}`,
      events: Array.from({ length: perAppend }, () => new Deposited({ amount: '1.00', note: 'bench' })),
    });
  }
  const versions = new Map<string, number>();
  const { ms } = await time(async () => {
    for (const batch of batches) {
      const expectedVersion = versions.get(batch.stream) ?? 0;
      const result = await store.appendToStream(batch.stream, batch.events, { expectedVersion });
      versions.set(batch.stream, result.nextVersion);
    }
  });
  return perSecond(totalEvents, ms);
}

async function loadTimes(events: number, runs: number): Promise<{ replay: number; snapshot: number }> {
  const store = new InMemoryEventStore({ registry });
  const snapshots = new InMemorySnapshotStore();
  const plain = new AggregateRepository(store, Account);
  const snapshotted = new AggregateRepository(store, Account, {
    snapshots: { store: snapshots, policy: everyNEvents(events) },
  });
  const account = new Account('a1');
  for (let i = 0; i < events; i++) account.deposit();
  await snapshotted.save(account); // crosses N: takes a snapshot at `events`
  if ((await snapshots.get('BenchAccount', 'a1'))?.version !== events)
    throw new Error('benchmark setup: no snapshot taken');
  const replay: number[] = [];
  const fromSnapshot: number[] = [];
  for (let i = 0; i < runs; i++) {
    replay.push((await time(() => plain.load('a1'))).ms);
    fromSnapshot.push((await time(() => snapshotted.load('a1'))).ms);
  }
  return { replay: median(replay), snapshot: median(fromSnapshot) };
}

async function readThroughput(upcast: boolean, count: number): Promise<number> {
  const store = new InMemoryEventStore({ registry: upcast ? upcastingRegistry : registry });
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    const events = Array.from({ length: batch }, () =>
      upcast ? new TalliedV1({ amount: 12.34 }) : new Tallied({ cents: 1234, currency: 'EUR' }),
    );
    await store.appendToStream(`BenchLedger-${i}`, events, { expectedVersion: 'no_stream' });
  }
  const { ms, result } = await time(async () => {
    let read = 0;
    for await (const stored of store.readAll()) if (stored.event.data) read++;
    return read;
  });
  if (result !== count) throw new Error(`benchmark read ${result} events, expected ${count}`);
  return perSecond(count, ms);
}

export default async function runtimeCoreBench(): Promise<void> {
  await appendThroughput(1, 5_000); // warm-up
  const one = await appendThroughput(1, 50_000);
  const ten = await appendThroughput(10, 50_000);
  await loadTimes(1_000, 20); // warm-up
  const load = await loadTimes(1_000, 50);
  await readThroughput(false, 5_000); // warm-up
  await readThroughput(true, 5_000);
  const plainRead = await readThroughput(false, 50_000);
  const upcastRead = await readThroughput(true, 50_000);

  table([
    { measure: 'append, 1 event per append', value: `${one.toLocaleString('en')} events/s`, ratio: '1.00× (baseline)' },
    { measure: 'append, 10 events per append', value: `${ten.toLocaleString('en')} events/s`, ratio: ratio(ten, one) },
    {
      measure: 'load 1,000-event aggregate, full replay',
      value: `${load.replay.toFixed(2)} ms`,
      ratio: '1.00× (baseline)',
    },
    {
      measure: 'load 1,000-event aggregate, from snapshot',
      value: `${load.snapshot.toFixed(3)} ms`,
      ratio: `${ratio(load.replay, load.snapshot)} faster`,
    },
    {
      measure: 'readAll, current-version events',
      value: `${plainRead.toLocaleString('en')} events/s`,
      ratio: '1.00× (baseline)',
    },
    {
      measure: 'readAll, v1 → v3 through 2 upcasters',
      value: `${upcastRead.toLocaleString('en')} events/s`,
      ratio: ratio(upcastRead, plainRead),
    },
  ]);
}
