import { describe, expect, it } from 'vitest';
import { busConformanceRegistry, orderPlaced } from '../testing/bus-conformance-fixtures.js';
import {
  InMemoryAggregateVersionStore,
  type AggregateVersionKey,
  type AggregateVersionStore,
} from './aggregate-version-store.js';
import { toBusMessages } from './bus-message.js';
import { deliver, resolveSubscribeOptions } from './deliver.js';
import type { BusHandler } from './event-bus.js';

const registry = busConformanceRegistry();
const body = (version: number) => toBusMessages([orderPlaced('o-1', version)])[0]!.body;
const key: AggregateVersionKey = { group: 'g', tenantId: null, aggregateType: 'Order', aggregateId: 'o-1' };

describe('deliver with a version guard', () => {
  it('skips versions at or below the mark and raises it only after the handler succeeded', async () => {
    const versionGuard = new InMemoryAggregateVersionStore();
    const options = resolveSubscribeOptions({ group: 'g', versionGuard, maxAttempts: 2 });
    const seen: number[] = [];
    const handler: BusHandler = ({ event }) => void seen.push(event.aggregateVersion);
    const run = (version: number, h: BusHandler = handler, attempt = 1) =>
      deliver({ registry, handler: h, options, body: body(version), headers: {}, attempt });

    expect(await run(2)).toEqual({ kind: 'ack', handled: true });
    expect(await run(1)).toEqual({ kind: 'ack', handled: false });
    expect(await run(2)).toEqual({ kind: 'ack', handled: false });
    expect(await versionGuard.load(key)).toBe(2);
    expect(await run(3, () => Promise.reject(new Error('down')))).toMatchObject({ kind: 'retry' });
    expect(await versionGuard.load(key)).toBe(2); // a failed attempt does not raise the mark
    expect(await run(3)).toEqual({ kind: 'ack', handled: true });
    expect(seen).toEqual([2, 3]);
  });

  it('treats a failing store as a failed attempt: retried, then dead-lettered, never skipped', async () => {
    const broken: AggregateVersionStore = {
      load: () => Promise.reject(new Error('versions table unreachable')),
      raise: () => Promise.resolve(),
    };
    const options = resolveSubscribeOptions({ group: 'g', versionGuard: broken, maxAttempts: 2 });
    let calls = 0;
    const handler = () => void calls++;
    expect(await deliver({ registry, handler, options, body: body(1), headers: {}, attempt: 1 })).toMatchObject({
      kind: 'retry',
      error: expect.stringContaining('versions table unreachable'),
    });
    expect(await deliver({ registry, handler, options, body: body(1), headers: {}, attempt: 2 })).toMatchObject({
      kind: 'dead-letter',
      reason: 'handler-failed',
    });
    expect(calls).toBe(0);
  });
});
