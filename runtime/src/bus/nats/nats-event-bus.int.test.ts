import { DiscardPolicy, ErrorCode, headers } from 'nats';
import { afterEach, expect, it } from 'vitest';
import { BusPublishError } from '../bus-errors.js';
import { BusHeader } from '../bus-message.js';
import { describeWithService } from '@eventsmith/test/support/services';
import { natsTestBus } from '@eventsmith/test/support/nats-bus';
import { busConformanceRegistry, busConformanceSuite, orderPlaced } from '../../testing/bus-conformance.js';
import { partitionOf } from '../partitioning.js';
import { NatsPublisher } from './nats-publisher.js';

await describeWithService('nats', 'NatsEventBus', () => {
  busConformanceSuite('NatsEventBus', async ({ registry }) => {
    const { bus, peer, cleanup } = await natsTestBus(registry);
    return {
      bus,
      publishRaw: (body) => bus.publishRaw(body),
      newerBus: (newer) => peer(undefined, { registry: newer }),
      teardown: cleanup,
    };
  });
});

await describeWithService('nats', 'NatsEventBus specifics', () => {
  const registry = busConformanceRegistry();
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('puts the partition and the aggregate in the subject, and deduplicates a re-published event by its id', async () => {
    const fixture = await natsTestBus(registry);
    cleanup = fixture.cleanup;
    const event = orderPlaced('id.with dots*', 1);
    await fixture.bus.publish([event]);
    await fixture.bus.publish([event]); // an outbox relay retrying after a lost confirm
    const jsm = await fixture.nc.jetstreamManager();
    const info = await jsm.streams.info(fixture.stream, { subjects_filter: '>' });
    const partition = partitionOf('Order-id.with dots*', 8);
    expect(info.state.messages).toBe(1);
    expect(Object.keys(info.state.subjects ?? {})).toEqual([
      `${fixture.stream}.events.${partition}.all.Order.id%2ewith%20dots%2a`,
    ]);
  });

  it('stores each event with the bus headers and its id as Nats-Msg-Id', async () => {
    const fixture = await natsTestBus(registry);
    cleanup = fixture.cleanup;
    const event = orderPlaced('with-headers', 3);
    await fixture.bus.publish([event]);
    const jsm = await fixture.nc.jetstreamManager();
    const stored = await jsm.streams.getMessage(fixture.stream, { seq: 1 });
    const headers = Object.fromEntries([...stored.header].map(([name, values]) => [name, values]));
    expect(headers).toEqual({
      [BusHeader.eventId]: [event.eventId],
      [BusHeader.eventType]: ['conformance.OrderPlaced'],
      [BusHeader.eventVersion]: ['2'],
      [BusHeader.aggregateType]: ['Order'],
      [BusHeader.aggregateId]: ['with-headers'],
      'Nats-Msg-Id': [event.eventId],
    });
  });

  it('fails a publish the stream refuses, with its reason, and one no stream takes', async () => {
    const fixture = await natsTestBus(registry);
    cleanup = fixture.cleanup;
    // The stream exists already (the bus leaves it as it is) and holds one message at most.
    const jsm = await fixture.nc.jetstreamManager();
    await jsm.streams.add({
      name: fixture.stream,
      subjects: [fixture.bus.names.eventSubjects()],
      max_msgs: 1,
      discard: DiscardPolicy.New,
    });
    await fixture.bus.publish([orderPlaced('refused', 1)]);
    const refused = await fixture.bus.publish([orderPlaced('refused', 2)]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BusPublishError);
    expect(String((refused as BusPublishError).cause)).toMatch(/maximum messages exceeded/);

    await jsm.streams.delete(fixture.stream);
    const unstored = await fixture.bus.publish([orderPlaced('refused', 3)]).catch((error: unknown) => error);
    expect(unstored).toBeInstanceOf(BusPublishError);
    expect((unstored as BusPublishError).cause).toMatchObject({ code: '503' });
  });

  it('fails a publish nothing acknowledges in time, and ignores its late acknowledgement', async () => {
    const fixture = await natsTestBus(registry);
    cleanup = fixture.cleanup;
    const publisher = new NatsPublisher(fixture.nc, 300);
    const message = (subject: string) => {
      const h = headers();
      h.append('Nats-Msg-Id', subject);
      return { subject, body: '{}', headers: h };
    };
    // A plain subscriber takes the message (so no "no responders") and answers only after the timeout.
    const late: Promise<void>[] = [];
    const silent = fixture.nc.subscribe(`${fixture.stream}_silent.>`, {
      callback: (_, msg) =>
        late.push(
          new Promise((done) =>
            setTimeout(() => {
              msg.respond(JSON.stringify({ stream: 'late', seq: 1 }));
              done();
            }, 600),
          ),
        ),
    });
    const failure = await publisher.publish([message(`${fixture.stream}_silent.a`)]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.Timeout });
    await Promise.all(late);
    await fixture.nc.flush();
    silent.unsubscribe();
    // The late acknowledgement settled nothing, and the publisher goes on: a publish the stream takes resolves.
    await fixture.bus.publish([orderPlaced('after-timeout', 1)]); // creates the stream
    const subject = fixture.bus.names.eventSubject(0, 'all', 'Order', 'after-timeout');
    await expect(publisher.publish([message(subject)])).resolves.toBeUndefined();
    publisher.close();
  });

  it('completes a publish made before close', async () => {
    const fixture = await natsTestBus(registry);
    cleanup = fixture.cleanup;
    const events = Array.from({ length: 50 }, (_, i) => orderPlaced(`closing-${i % 5}`, Math.floor(i / 5) + 1));
    await fixture.bus.publish(events.slice(0, 10));
    const publishing = fixture.bus.publish(events.slice(10));
    await fixture.bus.close();
    await expect(publishing).resolves.toBeUndefined();
    const jsm = await fixture.nc.jetstreamManager();
    expect((await jsm.streams.info(fixture.stream)).state.messages).toBe(50);
  });
});
