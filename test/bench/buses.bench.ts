/**
 * Bus benchmarks: publish throughput (batches of 100), end-to-end throughput through one consumer
 * group, and publish→handler latency, for the in-memory, Redis Streams and NATS JetStream buses,
 * each next to a raw client doing the same work in the same run (Redis: pipelined XADD, then
 * XREADGROUP + pipelined XACK; NATS: JetStream publish, then consume + ack). Both sides hand the
 * handler an event decoded (upcast and validated) with the same registry, as a consumer must.
 * Inputs are prepared before timing: the raw client gets JSON bodies, the bus gets the records
 * (as an outbox relay hands them over) and serializes them itself, inside the timed region.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { AckPolicy, connect as natsConnect, type NatsConnection } from 'nats';
import type { EventBus } from '../../runtime/src/bus/event-bus.js';
import { InMemoryEventBus } from '../../runtime/src/bus/memory/in-memory-event-bus.js';
import { NatsEventBus } from '../../runtime/src/bus/nats/nats-event-bus.js';
import { RedisEventBus } from '../../runtime/src/bus/redis/redis-event-bus.js';
import { toEventRecord, type EventRecord } from '../../runtime/src/events/event-record.js';
import { busConformanceRegistry, orderPlaced } from '../../runtime/src/testing/bus-conformance-fixtures.js';
import { randomBytes } from 'node:crypto';
import { hostPort, probe, serviceUrl } from '../support/probe.js';
import { percentile, perSecond, ratio, table } from './harness.js';

const EVENTS = 10_000;
const BATCH = 100;
const LATENCY_SAMPLES = 500;
const registry = busConformanceRegistry();
const REDIS_URL = serviceUrl('redis')!;
const NATS_SERVER = (({ host, port }) => `${host}:${port}`)(hostPort(serviceUrl('nats')!, 4222));

interface Contender {
  /** Publishes one batch: a raw client sends the JSON bodies, a bus the records. */
  publish(batch: readonly { key: string; body: string; id: string; record: EventRecord }[]): Promise<void>;
  /** Starts consuming; `onMessage` gets the parsed event id. */
  consume(onMessage: (eventId: string) => void): Promise<void>;
  close(): Promise<void>;
}

interface Figures {
  publishPerSec: number;
  endToEndPerSec: number;
  p50: number;
  p99: number;
}

export default async function run(): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const report = (bus: string, side: string, f: Figures, raw?: Figures) =>
    rows.push({
      bus,
      side,
      'publish ev/s': f.publishPerSec,
      'vs raw': raw ? ratio(f.publishPerSec, raw.publishPerSec) : '—',
      'e2e ev/s': f.endToEndPerSec,
      'e2e vs raw': raw ? ratio(f.endToEndPerSec, raw.endToEndPerSec) : '—',
      'p50 ms': f.p50.toFixed(2),
      'p99 ms': f.p99.toFixed(2),
      'p99 vs raw': raw ? ratio(raw.p99, f.p99) : '—',
    });

  report('memory', 'eventsmith', await measure(async () => busContender(new InMemoryEventBus({ registry }))));

  if ((await probe('redis')) === undefined) {
    const raw = await measure(rawRedis);
    const bus = await measure(redisBus);
    report('redis', 'raw ioredis', raw);
    report('redis', 'eventsmith', bus, raw);
  } else rows.push({ bus: 'redis', side: 'skipped: Redis unavailable' });

  if ((await probe('nats')) === undefined) {
    const raw = await measure(rawNats);
    const bus = await measure(natsBus);
    report('nats', 'raw nats.js', raw);
    report('nats', 'eventsmith', bus, raw);
  } else rows.push({ bus: 'nats', side: 'skipped: NATS unavailable' });

  table(rows);
  console.log(
    `(${EVENTS} events, batches of ${BATCH}; latency over ${LATENCY_SAMPLES} single publishes 1 ms apart; "vs raw" > 1 is better, p99 ratio = raw/bus)`,
  );
}

async function measure(make: () => Promise<Contender>): Promise<Figures> {
  const events = Array.from({ length: EVENTS }, (_, i) => orderPlaced(`bench-${i % 500}`, Math.floor(i / 500) + 1));
  const bodies = events.map((e) => {
    const body = JSON.stringify(toEventRecord(e));
    return { key: `Order-${e.aggregateId}`, body, id: e.eventId, record: JSON.parse(body) as EventRecord };
  });

  // 0. Warm-up (JIT, connections, scripts), not measured.
  let contender = await make();
  let warm = 0;
  let warmedUp!: () => void;
  const warmed = new Promise<void>((resolve) => (warmedUp = resolve));
  await contender.consume(() => {
    if (++warm === 2000) warmedUp();
  });
  for (let i = 0; i < 2000; i += BATCH) await contender.publish(bodies.slice(i, i + BATCH));
  await warmed;
  await contender.close();

  // 1. Publish throughput, nobody consuming.
  contender = await make();
  let start = performance.now();
  for (let i = 0; i < bodies.length; i += BATCH) await contender.publish(bodies.slice(i, i + BATCH));
  const publishPerSec = perSecond(EVENTS, performance.now() - start);
  await contender.close();

  // 2. End to end through one group: consume while publishing, until every event is handled.
  contender = await make();
  let seen = 0;
  let allSeen!: () => void;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  await contender.consume(() => {
    if (++seen === EVENTS) allSeen();
  });
  start = performance.now();
  for (let i = 0; i < bodies.length; i += BATCH) await contender.publish(bodies.slice(i, i + BATCH));
  await done;
  const endToEndPerSec = perSecond(EVENTS, performance.now() - start);
  await contender.close();

  // 3. Latency: single publishes, publish call → handler.
  contender = await make();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  await contender.consume((id) => {
    const t = sentAt.get(id);
    if (t !== undefined) latencies.push(performance.now() - t);
  });
  for (const b of bodies.slice(0, LATENCY_SAMPLES)) {
    sentAt.set(b.id, performance.now());
    await contender.publish([b]);
    await new Promise((r) => setTimeout(r, 1));
  }
  while (latencies.length < LATENCY_SAMPLES) await new Promise((r) => setTimeout(r, 10));
  await contender.close();
  return { publishPerSec, endToEndPerSec, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** The bus publishes EventRecords (as the outbox relay does) and hands decoded events to a handler. */
function busContender(bus: EventBus, cleanup: () => Promise<void> = async () => {}): Contender {
  return {
    publish: (batch) => bus.publish(batch.map((b) => b.record)),
    consume: async (onMessage) => {
      await bus.subscribe(({ event }) => onMessage(event.eventId), { group: 'bench' }).start();
    },
    close: async () => {
      await bus.close();
      await cleanup();
    },
  };
}

async function redisBus(): Promise<Contender> {
  const client = new Redis(REDIS_URL);
  const prefix = uniqueName('es_bench');
  const bus = new RedisEventBus({ redis: client, registry, stream: prefix });
  return busContender(bus, async () => {
    await deleteKeys(client, `${prefix}:*`);
    await client.quit();
  });
}

async function rawRedis(): Promise<Contender> {
  const client = new Redis(REDIS_URL);
  const reader = client.duplicate();
  const stream = uniqueName('es_bench_raw');
  let running = true;
  let loop: Promise<void> = Promise.resolve();
  return {
    publish: async (batch) => {
      const pipeline = client.pipeline();
      for (const b of batch) pipeline.xadd(stream, 'MAXLEN', '~', 100_000, '*', 'key', b.key, 'body', b.body);
      await pipeline.exec();
    },
    consume: async (onMessage) => {
      await client.xgroup('CREATE', stream, 'bench', '0', 'MKSTREAM');
      loop = (async () => {
        while (running) {
          const reply = (await reader.call(
            'XREADGROUP',
            'GROUP',
            'bench',
            'c1',
            'COUNT',
            100,
            'BLOCK',
            200,
            'STREAMS',
            stream,
            '>',
          )) as [string, [string, string[]][]][] | null;
          const entries = reply?.[0]?.[1] ?? [];
          if (entries.length === 0) continue;
          for (const [, fields] of entries) onMessage(registry.decode(JSON.parse(fields[3]!) as EventRecord).eventId);
          await client.xack(stream, 'bench', ...entries.map(([id]) => id));
        }
      })();
    },
    close: async () => {
      running = false;
      await loop;
      await client.del(stream);
      reader.disconnect();
      await client.quit();
    },
  };
}

async function natsBus(): Promise<Contender> {
  const nc = await natsConnect({ servers: NATS_SERVER });
  const stream = uniqueName('ES_BENCH');
  const bus = new NatsEventBus({ connection: nc, registry, stream });
  return busContender(bus, () => dropNats(nc, [stream, `${stream}_DLQ`, `KV_${stream}_leases`]));
}

async function rawNats(): Promise<Contender> {
  const nc = await natsConnect({ servers: NATS_SERVER });
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const stream = uniqueName('ES_BENCH_RAW');
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  let stop: (() => void) | undefined;
  return {
    publish: async (batch) => {
      await Promise.all(batch.map((b) => js.publish(`${stream}.${b.key}`, b.body, { msgID: b.id })));
    },
    consume: async (onMessage) => {
      await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit });
      const consumer = await js.consumers.get(stream, 'bench');
      const messages = await consumer.consume({ max_messages: 256 });
      stop = () => void messages.close();
      void (async () => {
        for await (const m of messages) {
          onMessage(registry.decode(m.json<EventRecord>()).eventId);
          m.ack();
        }
      })();
    },
    close: async () => {
      stop?.();
      await dropNats(nc, [stream]);
    },
  };
}

async function dropNats(nc: NatsConnection, streams: string[]): Promise<void> {
  const jsm = await nc.jetstreamManager();
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await nc.close();
}

function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
