/**
 * RabbitMQ bus against plain amqplib doing the same work, in one run:
 * - publish throughput: batches of 100 events, each batch awaited until the broker confirms it;
 * - end-to-end throughput: events published in batches of 100 until one consumer group handled all;
 * - latency: one event at a time, from the publish call to the handler.
 * The raw side does the same broker work: the same JSON bodies and headers, persistent, with
 * publisher confirms, to a topic exchange routing to 8 durable queues by a hash of the aggregate
 * (like the bus's 8 partition queues); its consumer parses each body and acknowledges it.
 */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { toBusMessages, type BusMessage } from '@eventsmith/runtime';
import { partitionOf, RabbitMqEventBus } from '@eventsmith/runtime/rabbitmq';
import { busConformanceRegistry, orderPlaced } from '../../runtime/src/testing/bus-conformance-fixtures.js';
import { deleteRabbitMqResources, recordResources } from '../support/rabbitmq.js';
import { median, percentile, perSecond, ratio, table } from './harness.js';

const URL = process.env['AMQP_URL'] || 'amqp://guest:guest@127.0.0.1:5672';
const THROUGHPUT_EVENTS = 10_000;
const LATENCY_SAMPLES = 500;
/** Bus and raw runs alternate, and medians are reported, because the broker is shared and noisy. */
const ROUNDS = 3;
const BATCH = 100;
const AGGREGATES = 200;
const PARTITIONS = 8;

export default async function run(): Promise<void> {
  const down = await probe(URL);
  if (down) {
    console.log(`skipped: RabbitMQ unavailable (${down})`);
    return;
  }
  const busRounds: Figures[] = [];
  const rawRounds: Figures[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const suffix = randomBytes(4).toString('hex');
    busRounds.push(await benchBus(`bench_${suffix}`));
    rawRounds.push(await benchRaw(`bench_raw_${suffix}`));
  }
  const busFigures = medians(busRounds);
  const rawFigures = medians(rawRounds);
  table([
    row('publish (events/s, batches of 100)', busFigures.publish, rawFigures.publish, true),
    row('end-to-end, one group (events/s)', busFigures.endToEnd, rawFigures.endToEnd, true),
    row('latency p50 (ms)', busFigures.p50, rawFigures.p50, false),
    row('latency p99 (ms)', busFigures.p99, rawFigures.p99, false),
  ]);
  console.log(
    `(medians of ${ROUNDS} alternating rounds; ${THROUGHPUT_EVENTS} events for throughput, ${LATENCY_SAMPLES} sequential samples for latency; ` +
      `bus / raw ≥ 1 means the bus did better; target ≥ 0.70×)`,
  );
}

function medians(rounds: Figures[]): Figures {
  const pick = (key: keyof Figures) => median(rounds.map((r) => r[key]));
  return { publish: pick('publish'), endToEnd: pick('endToEnd'), p50: pick('p50'), p99: pick('p99') };
}

interface Figures {
  publish: number;
  endToEnd: number;
  p50: number;
  p99: number;
}

function row(metric: string, bus: number, raw: number, higherIsBetter: boolean): Record<string, string | number> {
  return {
    metric,
    RabbitMqEventBus: higherIsBetter ? bus : bus.toFixed(2),
    'plain amqplib': higherIsBetter ? raw : raw.toFixed(2),
    'bus / raw': higherIsBetter ? ratio(bus, raw) : ratio(raw, bus),
  };
}

function batches(count: number): BusMessage[][] {
  const out: BusMessage[][] = [];
  for (let i = 0; i < count; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, count - i) }, (_, j) =>
      orderPlaced(`bench-${(i + j) % AGGREGATES}`, Math.floor((i + j) / AGGREGATES) + 1),
    );
    out.push(toBusMessages(events));
  }
  return out;
}

async function benchBus(namespace: string): Promise<Figures> {
  const registry = busConformanceRegistry();
  const bus = await RabbitMqEventBus.connect({ url: URL, registry, namespace, onError: () => {} });
  const resources = recordResources(bus);
  try {
    let handled = 0;
    let onHandled: (() => void) | undefined;
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const subscription = bus.subscribe(
      ({ event }) => {
        const t0 = sentAt.get(event.eventId);
        if (t0 !== undefined) latencies.push(performance.now() - t0);
        handled++;
        onHandled?.();
      },
      { group: 'bench' },
    );
    const records = batches(THROUGHPUT_EVENTS).map((b) => b.map((m) => m.record));

    // Publish only: the group's queues exist (declared by subscribe) but nobody consumes yet.
    const t0 = performance.now();
    for (const batch of records) await bus.publish(batch);
    const publish = perSecond(THROUGHPUT_EVENTS, performance.now() - t0);

    // End to end: drain the backlog first, then time publish → handled for a fresh set.
    await subscription.start();
    await until(
      () => handled >= THROUGHPUT_EVENTS,
      (f) => (onHandled = f),
    );
    handled = 0;
    const fresh = batches(THROUGHPUT_EVENTS).map((b) => b.map((m) => m.record));
    const t1 = performance.now();
    for (const batch of fresh) await bus.publish(batch);
    await until(
      () => handled >= THROUGHPUT_EVENTS,
      (f) => (onHandled = f),
    );
    const endToEnd = perSecond(THROUGHPUT_EVENTS, performance.now() - t1);

    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const event = orderPlaced(`latency-${i % AGGREGATES}`, i + 1);
      const before = handled;
      sentAt.set(event.eventId, performance.now());
      await bus.publish([event]);
      await until(
        () => handled > before,
        (f) => (onHandled = f),
      );
    }
    await subscription.stop();
    return { publish, endToEnd, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    await bus.close();
    await deleteRabbitMqResources(resources);
  }
}

async function benchRaw(prefix: string): Promise<Figures> {
  const connection: ChannelModel = await amqp.connect(URL);
  const exchange = `${prefix}.events`;
  const queues = Array.from({ length: PARTITIONS }, (_, p) => `${prefix}.p${p}`);
  try {
    const publisher = await connection.createConfirmChannel();
    await publisher.assertExchange(exchange, 'topic', { durable: true });
    for (const [p, queue] of queues.entries()) {
      await publisher.assertQueue(queue, { durable: true });
      await publisher.bindQueue(queue, exchange, `${p}.#`);
    }
    const send = async (batch: BusMessage[]) => {
      for (const m of batch) {
        const key = `${partitionOf(m.key, PARTITIONS)}.${m.record.aggregateType}.${m.record.eventType}`;
        publisher.publish(exchange, key, Buffer.from(m.body), {
          persistent: true,
          contentType: 'application/json',
          messageId: m.record.eventId,
          headers: m.headers,
        });
      }
      await publisher.waitForConfirms();
    };

    const t0 = performance.now();
    for (const batch of batches(THROUGHPUT_EVENTS)) await send(batch);
    const publish = perSecond(THROUGHPUT_EVENTS, performance.now() - t0);

    let handled = 0;
    let onHandled: (() => void) | undefined;
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const consumer = await connection.createChannel();
    await consumer.prefetch(32);
    for (const queue of queues) {
      await consumer.consume(queue, (message: ConsumeMessage | null) => {
        if (!message) return;
        const record = JSON.parse(message.content.toString('utf8')) as { eventId: string };
        const t = sentAt.get(record.eventId);
        if (t !== undefined) latencies.push(performance.now() - t);
        consumer.ack(message);
        handled++;
        onHandled?.();
      });
    }
    await until(
      () => handled >= THROUGHPUT_EVENTS,
      (f) => (onHandled = f),
    );
    handled = 0;
    const fresh = batches(THROUGHPUT_EVENTS);
    const t1 = performance.now();
    for (const batch of fresh) await send(batch);
    await until(
      () => handled >= THROUGHPUT_EVENTS,
      (f) => (onHandled = f),
    );
    const endToEnd = perSecond(THROUGHPUT_EVENTS, performance.now() - t1);

    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const [message] = toBusMessages([orderPlaced(`latency-${i % AGGREGATES}`, i + 1)]);
      const before = handled;
      sentAt.set(message!.record.eventId, performance.now());
      await send([message!]);
      await until(
        () => handled > before,
        (f) => (onHandled = f),
      );
    }
    return { publish, endToEnd, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    const cleanup = await connection.createChannel();
    for (const queue of queues) await cleanup.deleteQueue(queue).catch(() => {});
    await cleanup.deleteExchange(exchange).catch(() => {});
    await connection.close();
  }
}

/** Resolves once `done()` holds, re-checking whenever the handler calls the hook. */
function until(done: () => boolean, hook: (notify: (() => void) | undefined) => void): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    hook(() => {
      if (done()) {
        hook(undefined);
        resolve();
      }
    });
  });
}

function probe(url: string): Promise<string | undefined> {
  const { hostname, port } = new globalThis.URL(url);
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: hostname || '127.0.0.1', port: Number(port || 5672) });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(1500, () => done('no answer within 1500 ms'));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
