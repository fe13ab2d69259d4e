import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import {
  busConformanceRegistry,
  ConformanceOrderPlaced,
  orderPlaced,
  orderPlacedV1,
} from '../testing/bus-conformance-fixtures.js';
import {
  BusHeader,
  checkPublishBatch,
  decodeBusMessage,
  messageKey,
  peekEnvelope,
  toBusMessages,
} from './bus-message.js';
import { InvalidArgumentError } from '../errors.js';
import { deliver, resolveSubscribeOptions, retryDelay } from './deliver.js';
import { BusConfigurationError } from './bus-errors.js';
import { partitionOf } from './partitioning.js';

const registry = busConformanceRegistry();

describe('bus messages', () => {
  it('turns live events and stored records into the same wire form', () => {
    const live = orderPlaced('o-1', 3);
    const [fromLive, fromRecord] = toBusMessages([live, orderPlacedV1('o-1', 4, 9)]);
    expect(fromLive!.key).toBe(messageKey('Order', 'o-1'));
    expect(fromRecord!.key).toBe(fromLive!.key);
    expect(JSON.parse(fromLive!.body)).toMatchObject({ eventId: live.eventId, eventVersion: 2, aggregateVersion: 3 });
    expect(fromRecord!.headers[BusHeader.eventVersion]).toBe('1');
    expect(fromLive!.headers[BusHeader.eventType]).toBe('conformance.OrderPlaced');
  });

  it('checks a publish batch: events and stored records pass, anything else is named with its index', () => {
    expect(checkPublishBatch([])).toBe(0);
    expect(checkPublishBatch([orderPlaced('o-1', 1), orderPlacedV1('o-1', 2, 9)])).toBe(2);
    const refused = (events: unknown) => {
      try {
        checkPublishBatch(events as never);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidArgumentError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused([orderPlaced('o-1', 1), { not: 'an event' }])).toBe(
      'publish: event 2 of the batch (index 1) is a plain object, not an event (as an event record, field "eventId" must be a string); ' +
        "nothing was published. Publish instances of classes made by defineEvent, e.g. new MoneyDeposited({ amount: '5.00' }), " +
        'or stored event records (toEventRecord(event), or records read from a store or an outbox).',
    );
    expect(refused([null])).toContain('event 1 of the batch (index 0) is null, not an event; nothing was published.');
    expect(refused([orderPlaced('o-1', 1), 2, 3])).toContain('event 2 of the batch (index 1) is 2, not an event;');
    expect(refused([{ ...orderPlacedV1('o-1', 1, 9), aggregateVersion: 1.5 }])).toContain(
      'field "aggregateVersion" must be an integer',
    );
    expect(refused({ 0: orderPlaced('o-1', 1) })).toBe(
      'publish: events must be an array of events, got a plain object. Pass the batch as an array, e.g. bus.publish([event]).',
    );
    expect(refused(undefined)).toContain('got undefined');
  });

  it('classifies what cannot be handed to a handler', () => {
    expect(decodeBusMessage(registry, '{oops')).toMatchObject({ ok: false, reason: 'undecodable' });
    expect(decodeBusMessage(registry, '{"eventType": 3}')).toMatchObject({ ok: false, reason: 'undecodable' });
    const unknown = JSON.stringify({ ...orderPlacedV1('o', 1, 1), eventType: 'Gone' });
    expect(decodeBusMessage(registry, unknown)).toMatchObject({
      ok: false,
      reason: 'unknown-event-type',
      eventType: 'Gone',
    });
    const decoded = decodeBusMessage(registry, new TextEncoder().encode(JSON.stringify(orderPlacedV1('o', 1, 1))));
    expect(decoded.ok && decoded.event).toBeInstanceOf(ConformanceOrderPlaced);
    expect(decoded.ok && decoded.event.data).toEqual({ total: 1, currency: 'EUR' });
    expect(decoded.ok && decoded.event.metadata).toEqual({ source: 'legacy' });
    expect(decoded.ok && Object.isFrozen(decoded.event.metadata)).toBe(true);
    const sparse = decodeBusMessage(
      registry,
      JSON.stringify({ ...orderPlacedV1('o', 1, 1), tenantId: undefined, metadata: undefined }),
    );
    expect(sparse.ok && [sparse.event.tenantId, sparse.event.metadata]).toEqual([undefined, {}]);
    expect(peekEnvelope('not json')).toEqual({});
  });

  it('spreads keys over partitions deterministically', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionOf(`Order-${i}`, 16)]!++;
    expect(partitionOf('Order-42', 16)).toBe(partitionOf('Order-42', 16));
    for (const count of counts) expect(count).toBeGreaterThan(700);
  });
});

describe('deliver', () => {
  const body = JSON.stringify(orderPlacedV1('o-1', 1, 5));

  it('acks, skips filtered messages, retries with growing delays, then dead-letters', async () => {
    const options = resolveSubscribeOptions({ group: 'g', maxAttempts: 3, retryDelayMs: 100 });
    const failing = () => Promise.reject(new Error('nope'));
    expect(await deliver({ registry, handler: () => {}, options, body, headers: {}, attempt: 1 })).toEqual({
      kind: 'ack',
      handled: true,
    });
    const filtered = resolveSubscribeOptions({ group: 'g', eventTypes: ['conformance.OrderShipped'] });
    expect(await deliver({ registry, handler: failing, options: filtered, body, headers: {}, attempt: 1 })).toEqual({
      kind: 'ack',
      handled: false,
    });
    const retry = await deliver({ registry, handler: failing, options, body, headers: {}, attempt: 2 });
    expect(retry).toMatchObject({ kind: 'retry' });
    expect(retry.kind === 'retry' && retry.delayMs).toBeGreaterThanOrEqual(160);
    expect(await deliver({ registry, handler: failing, options, body, headers: {}, attempt: 3 })).toMatchObject({
      kind: 'dead-letter',
      reason: 'handler-failed',
      eventType: 'conformance.OrderPlaced',
    });
  });

  it('describes what a handler threw in one line, never with its stack', async () => {
    const options = resolveSubscribeOptions({ group: 'g', maxAttempts: 1 });
    const errorOf = async (thrown: unknown) => {
      const outcome = await deliver({
        registry,
        handler: () => {
          throw thrown;
        },
        options,
        body,
        headers: {},
        attempt: 1,
      });
      expect(outcome).toMatchObject({ kind: 'dead-letter', reason: 'handler-failed' });
      return outcome.kind === 'dead-letter' ? outcome.error : undefined;
    };
    expect(await errorOf(new Error('card declined'))).toBe('Error: card declined');
    expect(await errorOf(new TypeError(''))).toBe('TypeError (no message)');
    expect(await errorOf({ code: 42 })).toBe('{"code":42}');
    expect(await errorOf('declined')).toBe('declined');
    expect(await errorOf(undefined)).toBe('undefined was thrown, not an Error');
    const retry = await deliver({
      registry,
      handler: () => Promise.reject(new RangeError('')),
      options: resolveSubscribeOptions({ group: 'g' }),
      body,
      headers: {},
      attempt: 1,
    });
    expect(retry).toMatchObject({ kind: 'retry', error: 'RangeError (no message)' });
  });

  it('starts its consumer span with whichever tracer provider is registered at the time', async () => {
    const options = resolveSubscribeOptions({ group: 'g' });
    const handle = () => deliver({ registry, handler: () => {}, options, body, headers: {}, attempt: 1 });
    await handle(); // no provider yet
    const spansOf = async (exporter: InMemorySpanExporter) => {
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
      try {
        await handle();
      } finally {
        trace.disable();
      }
      return exporter.getFinishedSpans().map((span) => span.name);
    };
    expect(await spansOf(new InMemorySpanExporter())).toEqual(['eventsmith.bus.handle conformance.OrderPlaced']);
    expect(await spansOf(new InMemorySpanExporter())).toEqual(['eventsmith.bus.handle conformance.OrderPlaced']);
  });

  it('bounds the backoff and checks options', () => {
    for (let attempt = 1; attempt < 40; attempt++) {
      const delay = retryDelay(attempt, { retryDelayMs: 200, maxRetryDelayMs: 5000 });
      expect(delay).toBeLessThanOrEqual(5000);
      expect(delay).toBeGreaterThanOrEqual(Math.min(200 * 2 ** (attempt - 1), 5000) * 0.8 - 1);
    }
    expect(() => resolveSubscribeOptions({ group: 'has space' })).toThrow(BusConfigurationError);
    expect(() => resolveSubscribeOptions({ group: 'g', maxAttempts: 0 })).toThrow(/maxAttempts/);
  });
});
