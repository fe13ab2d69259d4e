import { describe } from 'vitest';
import { conformanceRegistry } from '../../testing/conformance.js';
import { currentVersionDecodeSuite } from '../../testing/current-version-decode-suite.js';
import { SqliteEventStore } from './sqlite-event-store.js';

describe('SqliteEventStore: rows at the current version', () => {
  currentVersionDecodeSuite(async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
    return { store, teardown: () => store.close() };
  });
});
