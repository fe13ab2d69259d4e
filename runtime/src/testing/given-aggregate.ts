import { expect } from 'vitest';
import type { AggregateClass, AggregateRoot } from '../aggregates/aggregate-root.js';
import type { DomainEvent } from '../events/domain-event.js';
import { InvalidArgumentError } from '../errors.js';

/** Given some history, when a command runs: the assertions on what it did. */
export interface AggregateScenario<A extends AggregateRoot<unknown>> {
  /** Past events, applied in order. Their aggregate id, type and version are stamped for you. */
  given(...events: readonly (DomainEvent | readonly DomainEvent[])[]): AggregateScenario<A>;
  /** Runs a (synchronous) command on the aggregate rebuilt from the history. */
  when(command: (aggregate: A) => unknown): AggregateOutcome<A>;
}

export interface AggregateOutcome<A extends AggregateRoot<unknown>> {
  /**
   * Asserts the command raised exactly these events (compared by type and payload; ids, times and
   * provenance are ignored) and returns the aggregate.
   */
  then(expected: readonly DomainEvent[]): A;
  /** Asserts the command raised no event. */
  thenNothing(): A;
  /** Asserts the state after the command equals `expected`. */
  thenState(expected: A extends AggregateRoot<infer S> ? S : never): A;
  /**
   * Asserts the command threw an instance of `errorClass` (and, with `check`, that it passes it);
   * returns the error. The aggregate must be left as it was.
   */
  thenThrows<E extends Error>(errorClass: abstract new (...args: never[]) => E, check?: (error: E) => void): E;
}

/**
 * Given/when/then for aggregates: no store, no repository, just the aggregate's rules.
 *
 * @example
 * ```ts
 * givenAggregate(BankAccount, 'acc-1')
 *   .given(new AccountOpened({ owner: 'Ann' }), new MoneyDeposited({ amount: '10.00' }))
 *   .when((account) => account.withdraw('4.00'))
 *   .then([new MoneyWithdrawn({ amount: '4.00' })]);
 *
 * givenAggregate(BankAccount, 'acc-1')
 *   .given(new AccountOpened({ owner: 'Ann' }))
 *   .when((account) => account.withdraw('1.00'))
 *   .thenThrows(CommandRejectedError, (error) => expect(error.message).toContain('balance'));
 * ```
 */
export function givenAggregate<A extends AggregateRoot<unknown>>(
  aggregate: AggregateClass<A>,
  id = 'aggregate-1',
): AggregateScenario<A> {
  return new Scenario(aggregate, id, []);
}

class Scenario<A extends AggregateRoot<unknown>> implements AggregateScenario<A> {
  constructor(
    private readonly cls: AggregateClass<A>,
    private readonly id: string,
    private readonly history: readonly DomainEvent[],
  ) {}

  given(...events: readonly (DomainEvent | readonly DomainEvent[])[]): AggregateScenario<A> {
    return new Scenario(this.cls, this.id, [...this.history, ...events.flat()]);
  }

  when(command: (aggregate: A) => unknown): AggregateOutcome<A> {
    const aggregate = new this.cls(this.id);
    aggregate.loadFromHistory(
      this.history.map((event, i) =>
        event.with({ aggregateId: this.id, aggregateType: this.cls.aggregateType, aggregateVersion: i + 1 }),
      ),
    );
    const before = { version: aggregate.version, state: aggregate.state };
    let error: unknown;
    let threw = false;
    try {
      const result = command(aggregate);
      if (result instanceof Promise) {
        result.catch(() => undefined);
        throw new InvalidArgumentError(
          'givenAggregate().when() takes a synchronous command; aggregate commands only raise events.',
        );
      }
    } catch (e) {
      if (e instanceof InvalidArgumentError && e.message.startsWith('givenAggregate()')) throw e;
      threw = true;
      error = e;
    }
    return new Outcome(aggregate, before, threw, error);
  }
}

class Outcome<A extends AggregateRoot<unknown>> implements AggregateOutcome<A> {
  constructor(
    private readonly aggregate: A,
    private readonly before: { version: number; state: unknown },
    private readonly threw: boolean,
    private readonly error: unknown,
  ) {}

  then(expected: readonly DomainEvent[]): A {
    if (typeof expected === 'function') {
      // `await scenario.when(...)` lands here: await calls then(resolve, reject).
      throw new InvalidArgumentError(
        'Finish the scenario with .then([events]), .thenNothing(), .thenState(...) or .thenThrows(...); do not await when().',
      );
    }
    this.#noError();
    expect(this.aggregate.uncommittedEvents.map(summary), 'events raised by the command').toEqual(
      expected.map(summary),
    );
    return this.aggregate;
  }

  thenNothing(): A {
    return this.then([]);
  }

  thenState(expected: A extends AggregateRoot<infer S> ? S : never): A {
    this.#noError();
    expect(this.aggregate.state, 'state after the command').toEqual(expected);
    return this.aggregate;
  }

  thenThrows<E extends Error>(errorClass: abstract new (...args: never[]) => E, check?: (error: E) => void): E {
    expect(
      this.threw,
      `expected the command to throw ${errorClass.name}, but it raised ${this.aggregate.uncommittedEvents.length} event(s)`,
    ).toBe(true);
    expect(this.error).toBeInstanceOf(errorClass);
    expect(this.aggregate.version, 'a rejected command must not change the version').toBe(this.before.version);
    expect(this.aggregate.state, 'a rejected command must not change the state').toBe(this.before.state);
    check?.(this.error as E);
    return this.error as E;
  }

  #noError(): void {
    if (this.threw) {
      const message = this.error instanceof Error ? `${this.error.name}: ${this.error.message}` : String(this.error);
      expect.fail(`expected the command to succeed, but it threw ${message}`);
    }
  }
}

function summary(event: DomainEvent): { eventType: string; data: unknown } {
  return { eventType: event.eventType, data: event.data };
}
