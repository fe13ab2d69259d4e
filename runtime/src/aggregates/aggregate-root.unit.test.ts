import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AggregateRoot } from './aggregate-root.js';
import { handles } from './handles.js';
import { defineEvent } from '../events/domain-event.js';
import { AggregateMismatchError, DuplicateHandlerError, UnhandledEventError } from '../errors.js';
import { causedBy, runInCommandContext } from './command-context.js';
import { withTenant } from '../tenancy/tenant-context.js';

class Incremented extends defineEvent({ type: 'Incremented', schema: z.object({ by: z.number().int() }) }) {}
class Reset extends defineEvent({ type: 'Reset', schema: z.object({}) }) {}
class Noted extends defineEvent({ type: 'Noted', schema: z.object({ text: z.string() }) }) {}

class Counter extends AggregateRoot<{ count: number }> {
  static override readonly aggregateType = 'Counter';
  protected initialState() {
    return { count: 0 };
  }
  increment(by: number) {
    this.raise(new Incremented({ by }));
  }
  note(event: Noted) {
    this.raise(event);
  }
  @handles(Incremented)
  onIncremented(e: Incremented) {
    if (e.data.by < 0) throw new Error('negative');
    return { count: this.state.count + e.data.by };
  }
  @handles(Reset)
  onReset(_e: Reset) {
    return { count: 0 };
  }
}

class A extends Counter {
  @handles(Noted)
  onNoted(_e: Noted) {
    return { count: -1 };
  }
}
class B extends Counter {}

describe('AggregateRoot', () => {
  it('raises, stamps and applies events', () => {
    const c = new Counter('c1');
    c.increment(2);
    c.increment(3);
    expect(c.state.count).toBe(5);
    expect(c.version).toBe(2);
    const [first, second] = c.uncommittedEvents;
    expect(first!.aggregateId).toBe('c1');
    expect(first!.aggregateType).toBe('Counter');
    expect(second!.aggregateVersion).toBe(2);
  });

  it('leaves state unchanged when a handler throws', () => {
    const c = new Counter('c1');
    c.increment(1);
    expect(() => c.increment(-1)).toThrow('negative');
    expect(c.state.count).toBe(1);
    expect(c.version).toBe(1);
    expect(c.uncommittedEvents).toHaveLength(1);
  });

  it('rejects events addressed to another aggregate', () => {
    const c = new Counter('c1');
    expect(() => c.note(new Noted({ text: 'x' }, { aggregateId: 'other' }))).toThrow(AggregateMismatchError);
    expect(c.version).toBe(0);
  });

  it('throws for unhandled events by default, and keeps sibling handler tables apart', () => {
    expect(() => new B('b').note(new Noted({ text: 'x' }))).toThrow(UnhandledEventError);
    const a = new A('a');
    a.note(new Noted({ text: 'x' }));
    expect(a.state.count).toBe(-1);
  });

  it('rejects duplicate handlers at class definition', () => {
    expect(() => {
      class Dup extends AggregateRoot<{ n: number }> {
        static override readonly aggregateType = 'Dup';
        protected initialState() {
          return { n: 0 };
        }
        @handles(Reset) one(_e: Reset) {
          return { n: 1 };
        }
        @handles(Reset) two(_e: Reset) {
          return { n: 2 };
        }
      }
      return Dup;
    }).toThrow(DuplicateHandlerError);
  });

  it('stamps provenance from the command context, letting explicit values win', async () => {
    const cause = new Noted({ text: 'cause' }, { tenantId: 't1', actorId: 'u1' });
    const c = new A('c1');
    await withTenant('ambient', () =>
      runInCommandContext(causedBy(cause), () => {
        c.increment(1);
        c.note(new Noted({ text: 'n' }, { actorId: 'explicit' }));
      }),
    );
    const [inc, noted] = c.uncommittedEvents;
    expect(inc!.causationId).toBe(cause.eventId);
    expect(inc!.correlationId).toBe(cause.correlationId);
    expect(inc!.tenantId).toBe('t1');
    expect(noted!.actorId).toBe('explicit');
  });
});
