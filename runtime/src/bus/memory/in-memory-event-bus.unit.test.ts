import { busConformanceSuite } from '../../testing/bus-conformance.js';
import { InMemoryEventBus } from './in-memory-event-bus.js';

busConformanceSuite('InMemoryEventBus', async ({ registry }) => {
  const bus = new InMemoryEventBus({ registry });
  return { bus, publishRaw: (body) => bus.publishRaw(body), teardown: async () => {} };
});
