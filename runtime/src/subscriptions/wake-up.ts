import type { BusSubscription, EventBus } from '../bus/event-bus.js';

/**
 * Tells the subscription manager that new events may be in the store. A wake-up is only a hint:
 * the manager then reads the store's feed, so order and positions always come from the store, and
 * a lost hint only delays delivery until the next poll.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, wakeUps: [new PostgresNotifyWakeUp({ connect: () => new pg.Client(url) })] });
 * ```
 */
export interface WakeUpSource {
  /** Starts listening; `wake` may be called any number of times, from any context. */
  start(wake: () => void): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An in-process wake-up: call `notify()` after appending. `withAppendHooks(store, { afterCommit })`
 * or {@link signalOnCommit} call it for you.
 *
 * @example
 * ```ts
 * const signal = new WakeUpSignal();
 * const store = signalOnCommit(new InMemoryEventStore({ registry }), signal);
 * const manager = new SubscriptionManager({ store, wakeUps: [signal] });
 * ```
 */
export class WakeUpSignal implements WakeUpSource {
  readonly #listeners = new Set<() => void>();

  async start(wake: () => void): Promise<void> {
    this.#listeners.add(wake);
  }

  async stop(): Promise<void> {
    this.#listeners.clear();
  }

  notify(): void {
    for (const listener of this.#listeners) listener();
  }
}

export interface BusWakeUpOptions {
  /**
   * The consumer group. Every process must wake, so each needs its own group (members of one
   * group share messages). Default: a name unique to this process.
   */
  readonly group?: string;
  readonly eventTypes?: readonly string[];
  readonly aggregateTypes?: readonly string[];
}

/**
 * Wakes subscriptions when a bus delivers any message, for example the events the outbox relay
 * publishes. The message itself is ignored; the manager reads the store.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, wakeUps: [new BusWakeUp(bus, { group: `wake-${hostname()}` })] });
 * ```
 */
export class BusWakeUp implements WakeUpSource {
  #subscription: BusSubscription | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly options: BusWakeUpOptions = {},
  ) {}

  async start(wake: () => void): Promise<void> {
    const group = this.options.group ?? `eventsmith-wake-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    this.#subscription = this.bus.subscribe(() => wake(), {
      group,
      ...(this.options.eventTypes ? { eventTypes: this.options.eventTypes } : {}),
      ...(this.options.aggregateTypes ? { aggregateTypes: this.options.aggregateTypes } : {}),
    });
    await this.#subscription.start();
  }

  async stop(): Promise<void> {
    await this.#subscription?.stop();
    this.#subscription = undefined;
  }
}
