import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { defineEvent } from '../events/domain-event.js';
import { AggregateRoot } from './aggregate-root.js';
import { handles } from './handles.js';

class Opened extends defineEvent({ type: 'Opened', schema: z.object({}) }) {}
class Closed extends defineEvent({ type: 'Closed', schema: z.object({}) }) {}

/** What a generated base declares: the events its subclass must handle. */
abstract class DoorBase extends AggregateRoot<{ open: boolean }> {
  static override readonly aggregateType = 'Door';
  static override readonly handledEventTypes: readonly string[] = ['Opened', 'Closed'];
  protected initialState() {
    return { open: false };
  }
  abstract onOpened(event: Opened): { open: boolean };
  abstract onClosed(event: Closed): { open: boolean };
}

class Door extends DoorBase {
  @handles(Opened)
  onOpened(_event: Opened) {
    return { open: true };
  }
  @handles(Closed)
  onClosed(_event: Closed) {
    return { open: false };
  }
}

/** The compiler accepts it (the methods exist), but onClosed lacks its decorator. */
class UndecoratedDoor extends DoorBase {
  @handles(Opened)
  onOpened(_event: Opened) {
    return { open: true };
  }
  onClosed(_event: Closed) {
    return { open: false };
  }
}

describe('AggregateRoot.handledEventTypes', () => {
  it('lets a class whose listed events all have @handles methods be constructed', () => {
    const door = new Door('d-1');
    door.replay(new Opened({}, { aggregateId: 'd-1', aggregateType: 'Door', aggregateVersion: 1 }));
    expect(door.state).toEqual({ open: true });
  });

  it('refuses a class with a handler method that lacks its decorator, naming the event and the method', () => {
    const attempt = () => new UndecoratedDoor('d-2');
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(
      'UndecoratedDoor has no @handles(…) handler for Closed. Decorate onClosed with @handles(<Event>).',
    );
  });

  it('checks nothing when the class lists no events (hand-written aggregates)', () => {
    class Bare extends AggregateRoot<object> {
      static override readonly aggregateType = 'Bare';
      protected initialState() {
        return {};
      }
    }
    expect(new Bare('b-1').version).toBe(0);
  });
});
