import { describe, expect, it } from 'vitest';
import { Counter, CounterIncremented, CounterOpened, CounterReset } from '../test-support/counter-aggregate.js';
import { CommandRejectedError, InvalidArgumentError } from '../errors.js';
import { givenAggregate } from './given-aggregate.js';

describe('givenAggregate', () => {
  it('rebuilds the aggregate from the given events and checks the raised events', () => {
    const counter = givenAggregate(Counter, 'c1')
      .given(new CounterOpened({ label: 'x' }), [new CounterIncremented({ by: 2 })])
      .when((c) => c.increment(3))
      .then([new CounterIncremented({ by: 3 })]);
    expect(counter.version).toBe(3);
    expect(counter.state.count).toBe(5);
    expect(counter.uncommittedEvents[0]!.aggregateVersion).toBe(3);
  });

  it('fails when the raised events differ in type, payload or number', () => {
    const scenario = givenAggregate(Counter).given(new CounterOpened({ label: 'x' }));
    expect(() => scenario.when((c) => c.increment(3)).then([new CounterIncremented({ by: 4 })])).toThrow(
      /events raised by the command/,
    );
    expect(() => scenario.when((c) => c.increment(3)).then([new CounterReset({ at: new Date() })])).toThrow();
    expect(() => scenario.when((c) => c.increment(3)).then([])).toThrow();
    expect(() => scenario.when((c) => c.increment(3)).thenNothing()).toThrow();
  });

  it('compares dates in payloads by value', () => {
    givenAggregate(Counter)
      .when((c) => c.reset(new Date('2024-01-01T00:00:00Z')))
      .then([new CounterReset({ at: new Date('2024-01-01T00:00:00.000Z') })]);
  });

  it('checks the state after the command', () => {
    givenAggregate(Counter)
      .given(new CounterOpened({ label: 'x' }))
      .when((c) => c.increment(2))
      .thenState({ label: 'x', count: 2, resetAt: null });
    expect(() =>
      givenAggregate(Counter)
        .when((c) => c.increment(2))
        .thenState({ label: '', count: 3, resetAt: null }),
    ).toThrow(/state after the command/);
  });

  it('checks that a command was rejected, and returns the error', () => {
    const error = givenAggregate(Counter)
      .given(new CounterOpened({ label: 'x' }))
      .when((c) => c.increment(0))
      .thenThrows(CommandRejectedError, (e) => expect(e.details).toEqual({ by: 0 }));
    expect(error.message).toContain('at least 1');
  });

  it('fails thenThrows when nothing or something else was thrown', () => {
    expect(() =>
      givenAggregate(Counter)
        .when((c) => c.increment(1))
        .thenThrows(CommandRejectedError),
    ).toThrow(/expected the command to throw/);
    expect(() =>
      givenAggregate(Counter)
        .when(() => {
          throw new TypeError('bug');
        })
        .thenThrows(CommandRejectedError),
    ).toThrow();
    expect(() =>
      givenAggregate(Counter)
        .when((c) => c.increment(0))
        .thenThrows(CommandRejectedError, (e) => expect(e.message).toContain('nope')),
    ).toThrow();
  });

  it('fails then() when the command threw, naming the error', () => {
    expect(() =>
      givenAggregate(Counter)
        .given(new CounterOpened({ label: 'x' }))
        .when((c) => c.open('again'))
        .then([]),
    ).toThrow(/CommandRejectedError: Counter already open/);
  });

  it('refuses async commands and a forgotten then()', async () => {
    expect(() => givenAggregate(Counter).when(async (c) => c.increment(1))).toThrow(InvalidArgumentError);
    const outcome: unknown = givenAggregate(Counter).when((c) => c.increment(1));
    await expect((async () => await outcome)()).rejects.toThrow(/do not await when/);
  });

  it('does not change the given events', () => {
    const opened = new CounterOpened({ label: 'x' });
    givenAggregate(Counter, 'c9')
      .given(opened)
      .when((c) => c.increment(1))
      .then([new CounterIncremented({ by: 1 })]);
    expect(opened.aggregateId).toBe('');
    expect(opened.aggregateVersion).toBe(0);
  });
});
