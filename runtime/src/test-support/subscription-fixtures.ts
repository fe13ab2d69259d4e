/** Events, a registry and helpers shared by the subscription, projection and outbox tests. */
import { z } from 'zod';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import type { EventStore } from '../store/event-store.js';

export class Deposited extends defineEvent({
  type: 'Deposited',
  aggregateType: 'Account',
  schema: z.object({ amount: z.number().int() }),
}) {}
export class Withdrawn extends defineEvent({
  type: 'Withdrawn',
  aggregateType: 'Account',
  schema: z.object({ amount: z.number().int() }),
}) {}
export class Noted extends defineEvent({
  type: 'Noted',
  aggregateType: 'Note',
  schema: z.object({ text: z.string() }),
}) {}

export const registry = EventRegistry.create({ events: [Deposited, Withdrawn, Noted] });

/** Appends `count` Deposited events spread over `accounts` streams, round robin; amounts 1..count. */
export async function appendDeposits(
  store: EventStore,
  count: number,
  options: { accounts?: number; start?: number; tenantId?: string; perAppend?: number } = {},
): Promise<void> {
  const accounts = options.accounts ?? 5;
  const start = options.start ?? 1;
  const perAppend = options.perAppend ?? 1;
  for (let i = 0; i < count; i += perAppend) {
    const n = Math.min(perAppend, count - i);
    const account = `acc-${(start + i) % accounts}`;
    const events = Array.from(
      { length: n },
      (_, k) =>
        new Deposited(
          { amount: start + i + k },
          { aggregateId: account, ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}) },
        ),
    );
    await store.appendToStream(`Account-${account}`, events, { expectedVersion: 'any' });
  }
}

/** Polls `predicate` until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Every event of the feed, in order. */
export async function feed(store: EventStore, options: Parameters<EventStore['readAll']>[0] = {}) {
  const out = [];
  for await (const stored of store.readAll(options)) out.push(stored);
  return out;
}
