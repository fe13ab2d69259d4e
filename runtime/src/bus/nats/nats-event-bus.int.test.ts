import { afterEach, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { natsTestBus } from '@eventsmith/test/support/nats-bus';
import { busConformanceRegistry, busConformanceSuite, orderPlaced } from '../../testing/bus-conformance.js';
import { partitionOf } from '../partitioning.js';

await describeWithService('nats', 'NatsEventBus', () => {
  busConformanceSuite('NatsEventBus', async ({ registry }) => {
    const { bus, cleanup } = await natsTestBus(registry);
    return { bus, publishRaw: (body) => bus.publishRaw(body), teardown: cleanup };
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
});
