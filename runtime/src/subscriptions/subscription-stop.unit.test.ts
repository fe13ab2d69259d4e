import { describe } from 'vitest';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { InMemoryCheckpointStore } from './checkpoint-store.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import { InMemorySubscriptionLock } from './subscription-lock.js';
import { registry } from '../test-support/subscription-fixtures.js';
import { stopScenarios } from '../test-support/stop-scenarios.js';

describe('SubscriptionManager stop and restart: in memory', () =>
  stopScenarios({
    name: 'in memory',
    serialAppends: true,
    async open() {
      const checkpoints = new InMemoryCheckpointStore();
      return {
        store: new InMemoryEventStore({ registry }),
        checkpoints,
        inspect: checkpoints,
        deadLetters: new InMemoryDeadLetterQueue(),
        lock: new InMemorySubscriptionLock(),
        close: async () => undefined,
      };
    },
  }));
