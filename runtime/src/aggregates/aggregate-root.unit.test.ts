import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AggregateRoot } from './aggregate-root.js';
import { handlerTable, handles } from './handles.js';
import { defineEvent } from '../events/domain-event.js';
import {
  AggregateMismatchError,
  DuplicateHandlerError,
  EventSequenceError,
  InvalidArgumentError,
  UnhandledEventError,
} from '../errors.js';
import { causedBy, fromCommand, runInCommandContext } from './command-context.js';
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

  it('replays history in sequence and rejects gaps, other aggregates and other types', () => {
    const c = new Counter('c1');
    c.loadFromHistory([
      new Incremented({ by: 2 }, { aggregateId: 'c1', aggregateType: 'Counter', aggregateVersion: 1 }),
      new Incremented({ by: 3 }, { aggregateId: 'c1', aggregateType: 'Counter', aggregateVersion: 2 }),
    ]);
    expect(c.state.count).toBe(5);
    expect(c.version).toBe(2);
    expect(c.uncommittedEvents).toEqual([]);
    const gap = new Incremented({ by: 1 }, { aggregateId: 'c1', aggregateType: 'Counter', aggregateVersion: 4 });
    expect(() => c.replay(gap)).toThrow(EventSequenceError);
    const otherId = new Incremented({ by: 1 }, { aggregateId: 'c2', aggregateType: 'Counter', aggregateVersion: 3 });
    expect(() => c.replay(otherId)).toThrow(AggregateMismatchError);
    const otherType = new Incremented({ by: 1 }, { aggregateId: 'c1', aggregateType: 'Account', aggregateVersion: 3 });
    const error = (() => {
      try {
        c.replay(otherType);
      } catch (e) {
        return e as AggregateMismatchError;
      }
    })();
    expect(error).toMatchObject({ field: 'aggregateType', expected: 'Counter', actual: 'Account' });
    expect(c.state.count).toBe(5);
    expect(c.version).toBe(2);
  });

  it('rejects raising an event whose class belongs to another aggregate type', () => {
    class AccountOpened extends defineEvent({
      type: 'AccountOpened',
      aggregateType: 'Account',
      schema: z.object({}),
    }) {}
    class Raiser extends Counter {
      raiseForeign() {
        this.raise(new AccountOpened({}));
      }
    }
    const r = new Raiser('r');
    expect(() => r.raiseForeign()).toThrow(AggregateMismatchError);
    expect(r.version).toBe(0);
    expect(r.uncommittedEvents).toEqual([]);
  });

  it("skips events without a handler when unhandledEvents is 'ignore'", () => {
    class Lenient extends Counter {
      static override readonly unhandledEvents = 'ignore' as const;
    }
    const l = new Lenient('l');
    l.increment(1);
    l.note(new Noted({ text: 'ignored' }));
    expect(l.state.count).toBe(1);
    expect(l.version).toBe(2);
    expect(l.uncommittedEvents.map((e) => e.eventType)).toEqual(['Incremented', 'Noted']);
  });

  it('discovers handlers when the class is defined, per class', () => {
    expect([...handlerTable(Counter).keys()].sort()).toEqual(['Incremented', 'Reset']);
    expect([...handlerTable(A).keys()].sort()).toEqual(['Incremented', 'Noted', 'Reset']);
    expect([...handlerTable(B).keys()].sort()).toEqual(['Incremented', 'Reset']);
  });

  it('lets a subclass override an inherited handler', () => {
    class Doubling extends Counter {
      @handles(Incremented)
      onDoubled(e: Incremented) {
        return { count: this.state.count + 2 * e.data.by };
      }
    }
    const d = new Doubling('d');
    d.increment(3);
    expect(d.state.count).toBe(6);
    const c = new Counter('c');
    c.increment(3);
    expect(c.state.count).toBe(3);
  });

  it('rejects @handles on a static method and on something that is not an event class', () => {
    expect(() => {
      class Bad extends AggregateRoot<{ n: number }> {
        static override readonly aggregateType = 'Bad';
        protected initialState() {
          return { n: 0 };
        }
        // @ts-expect-error -- a static method has no `state`
        @handles(Reset) static onReset(_e: Reset) {
          return { n: 0 };
        }
      }
      return Bad;
    }).toThrow(InvalidArgumentError);
    expect(() => handles(class NotAnEvent {} as never)).toThrow(InvalidArgumentError);
  });

  it('needs an aggregate type and a non-empty id', () => {
    class Nameless extends AggregateRoot<object> {
      protected initialState() {
        return {};
      }
    }
    expect(() => new Nameless('x')).toThrow(/aggregateType/);
    expect(() => new Counter('')).toThrow(InvalidArgumentError);
  });

  it('hands out copies of the uncommitted events and clears only committed ones', () => {
    const c = new Counter('c1');
    c.increment(1);
    const snapshot = c.uncommittedEvents;
    (snapshot as unknown[]).length = 0;
    expect(c.uncommittedEvents).toHaveLength(1);
    const first = c.uncommittedEvents;
    c.increment(2);
    c.markCommitted(first);
    expect(c.uncommittedEvents.map((e) => e.aggregateVersion)).toEqual([2]);
    c.markCommitted();
    expect(c.uncommittedEvents).toEqual([]);
  });

  it('stamps command provenance, with the command tenant over the ambient one', async () => {
    const c = new Counter('c1');
    await withTenant('ambient', () =>
      runInCommandContext(fromCommand({ commandId: 'cmd-1', actorId: 'bob', tenantId: 'from-command' }), () =>
        c.increment(1),
      ),
    );
    expect(c.uncommittedEvents[0]).toMatchObject({
      causationId: 'cmd-1',
      correlationId: 'cmd-1',
      actorId: 'bob',
      tenantId: 'from-command',
    });
  });

  it('takes the ambient tenant when nothing else sets one, and an explicit tenant over both', async () => {
    const c = new A('c1');
    await withTenant('ambient', () => {
      c.increment(1);
      runInCommandContext(fromCommand({ commandId: 'cmd-2', tenantId: 'cmd' }), () =>
        c.note(new Noted({ text: 'n' }, { tenantId: 'explicit' })),
      );
    });
    c.increment(1);
    const [first, second, third] = c.uncommittedEvents;
    expect(first!.tenantId).toBe('ambient');
    expect(first!.causationId).toBeUndefined();
    expect(first!.correlationId).toBe(first!.eventId);
    expect(second!.tenantId).toBe('explicit');
    expect(second!.causationId).toBe('cmd-2');
    expect(third!.tenantId).toBeUndefined();
  });

  it('keeps state unchanged and reports the error when snapshot state does not fit', () => {
    class Strict extends Counter {
      static override readonly stateSchema = z.object({ count: z.number() });
    }
    const s = new Strict('s');
    expect(() => s.restoreSnapshot({ count: 'x' }, 4)).toThrow();
    expect(s.version).toBe(0);
    s.restoreSnapshot({ count: 7 }, 4);
    expect(s.state.count).toBe(7);
    expect(s.version).toBe(4);
  });
});
