import type { DomainEvent } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { BusClosedError, DeadLetterNotFoundError } from '../bus-errors.js';
import { checkPublishBatch, peekEnvelope, publishWithSpan } from '../bus-message.js';
import { checkGroup, deliver, resolveSubscribeOptions, type ResolvedSubscribeOptions } from '../deliver.js';
import type { BusHandler, BusSubscription, DeadLetter, EventBus, SubscribeOptions } from '../event-bus.js';

export interface InMemoryEventBusOptions {
  /** Decodes and upcasts messages for handlers; use the same registry as the store. */
  readonly registry: EventRegistry;
  /** Handlers one subscription runs at once (on different aggregates). Default 16. */
  readonly concurrency?: number;
}

/**
 * An {@link EventBus} inside one process, for tests and single-process apps. It keeps the same
 * guarantees as the broker adapters (groups, per-aggregate order, retries with backoff that do
 * not block other aggregates, dead letters, trace headers) and passes the same conformance suite.
 * Messages live in memory only: they are lost when the process exits.
 *
 * @example
 * ```ts
 * const bus = new InMemoryEventBus({ registry });
 * await bus.subscribe(({ event }) => projector.apply(event), { group: 'projector' }).start();
 * await bus.publish([new AccountOpened({ owner: 'Ada' }, { aggregateId: 'acc-1', aggregateVersion: 1 })]);
 * ```
 */
export class InMemoryEventBus implements EventBus {
  readonly #registry: EventRegistry;
  readonly #concurrency: number;
  readonly #groups = new Map<string, Group>();
  readonly #subscriptions = new Set<MemorySubscription>();
  #closed = false;
  #messageSeq = 0;
  #deadLetterSeq = 0;

  constructor(options: InMemoryEventBusOptions) {
    this.#registry = options.registry;
    this.#concurrency = options.concurrency ?? 16;
  }

  async publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void> {
    if (this.#closed) throw new BusClosedError('in-memory');
    if (checkPublishBatch(events) === 0) return;
    await publishWithSpan('memory', events, async (busMessages) => {
      const messages = busMessages.map((m) => ({
        seq: ++this.#messageSeq,
        key: m.key,
        body: m.body,
        headers: m.headers,
      }));
      for (const group of this.#groups.values()) {
        for (const message of messages) this.#push(group, message);
        this.schedule(group);
      }
    });
  }

  /** Puts a raw body on the bus as if a foreign producer had sent it (for tests of undecodable input). */
  async publishRaw(body: string, key = 'raw'): Promise<void> {
    if (this.#closed) throw new BusClosedError('in-memory');
    this.#enqueue({ seq: ++this.#messageSeq, key, body, headers: {} });
  }

  subscribe(handler: BusHandler, options: SubscribeOptions): BusSubscription {
    if (this.#closed) throw new BusClosedError('in-memory');
    const subscription = new MemorySubscription(this, handler, resolveSubscribeOptions(options), this.#concurrency);
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    if (this.#closed) throw new BusClosedError('in-memory');
    checkGroup(group);
    const letters = this.#groups.get(group)?.deadLetters ?? [];
    return letters.slice(0, options.limit ?? letters.length).map(({ message: _message, ...letter }) => letter);
  }

  async replayDeadLetter(group: string, id: string): Promise<void> {
    if (this.#closed) throw new BusClosedError('in-memory');
    checkGroup(group);
    const state = this.#groups.get(group);
    const index = state?.deadLetters.findIndex((l) => l.id === id) ?? -1;
    if (!state || index < 0) throw new DeadLetterNotFoundError(group, id);
    const [letter] = state.deadLetters.splice(index, 1);
    this.#push(state, { ...letter!.message, seq: ++this.#messageSeq });
    this.schedule(state);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    for (const group of this.#groups.values()) for (const lane of group.lanes.values()) clearTimeout(lane.timer);
  }

  /** @internal */
  join(subscription: MemorySubscription): void {
    if (this.#closed) throw new BusClosedError('in-memory');
    let group = this.#groups.get(subscription.options.group);
    if (!group)
      this.#groups.set(
        subscription.options.group,
        (group = {
          name: subscription.options.group,
          members: [],
          lanes: new Map(),
          runnable: new Set(),
          deadLetters: [],
          nextMember: 0,
        }),
      );
    if (!group.members.includes(subscription)) group.members.push(subscription);
    this.schedule(group);
  }

  /** @internal */
  leave(subscription: MemorySubscription): void {
    const group = this.#groups.get(subscription.options.group);
    if (!group) return;
    group.members = group.members.filter((m) => m !== subscription);
    for (const lane of group.lanes.values()) if (lane.member === subscription && !lane.running) lane.member = undefined;
  }

  /** @internal Gives up on a lane whose handler outlived `stop(timeout)`: its head message becomes available again. */
  abandon(subscription: MemorySubscription): void {
    const group = this.#groups.get(subscription.options.group);
    if (!group) return;
    for (const [key, lane] of group.lanes) {
      if (lane.member !== subscription) continue;
      lane.generation++;
      lane.running = false;
      lane.member = undefined;
      group.runnable.add(key);
    }
    this.schedule(group);
  }

  /** @internal Starts runnable lanes on members with spare capacity. */
  schedule(group: Group): void {
    for (const key of group.runnable) {
      if (!group.members.some((m) => m.accepting && m.inFlight < m.concurrency)) return;
      const lane = group.lanes.get(key);
      if (!lane || lane.running || lane.timer !== undefined || lane.queue.length === 0) {
        group.runnable.delete(key);
        if (lane && !lane.running && lane.timer === undefined && lane.queue.length === 0) group.lanes.delete(key);
        continue;
      }
      const member = this.#pickMember(group, lane);
      if (!member) continue;
      group.runnable.delete(key);
      lane.member = member;
      lane.running = true;
      void this.#run(group, key, lane, member);
    }
  }

  #enqueue(message: Message): void {
    for (const group of this.#groups.values()) {
      this.#push(group, message);
      this.schedule(group);
    }
  }

  #push(group: Group, message: Message): void {
    let lane = group.lanes.get(message.key);
    if (!lane) group.lanes.set(message.key, (lane = { queue: [], running: false, generation: 0 }));
    lane.queue.push({ message, attempt: 1 });
    group.runnable.add(message.key);
  }

  #pickMember(group: Group, lane: Lane): MemorySubscription | undefined {
    const active = group.members.filter((m) => m.accepting && m.inFlight < m.concurrency);
    if (lane.member && active.includes(lane.member)) return lane.member;
    if (lane.member && group.members.includes(lane.member) && lane.member.accepting) return undefined; // sticky, but busy
    if (active.length === 0) return undefined;
    return active[group.nextMember++ % active.length];
  }

  async #run(group: Group, key: string, lane: Lane, member: MemorySubscription): Promise<void> {
    const generation = lane.generation;
    const entry = lane.queue[0]!;
    const outcome = await member.track(
      deliver({
        system: 'memory',
        registry: this.#registry,
        handler: member.handler,
        options: member.options,
        body: entry.message.body,
        headers: entry.message.headers,
        attempt: entry.attempt,
      }),
    );
    if (lane.generation !== generation) return; // abandoned by a stop that timed out; the message is redelivered
    lane.running = false;
    if (outcome.kind === 'retry') {
      entry.attempt++;
      lane.timer = setTimeout(() => {
        lane.timer = undefined;
        group.runnable.add(key);
        this.schedule(group);
      }, outcome.delayMs);
    } else {
      lane.queue.shift();
      if (outcome.kind === 'dead-letter') {
        const record = peekEnvelope(entry.message.body);
        group.deadLetters.push({
          id: `dl-${++this.#deadLetterSeq}`,
          group: group.name,
          reason: outcome.reason,
          error: outcome.error,
          attempts: entry.attempt,
          payload: entry.message.body,
          eventType: outcome.eventType ?? record.eventType,
          eventId: record.eventId,
          aggregateType: record.aggregateType,
          aggregateId: record.aggregateId,
          deadLetteredAt: new Date(),
          message: entry.message,
        });
      }
    }
    group.runnable.add(key);
    this.schedule(group);
  }
}

interface Message {
  readonly seq: number;
  readonly key: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface Lane {
  readonly queue: { message: Message; attempt: number }[];
  running: boolean;
  member?: MemorySubscription | undefined;
  timer?: ReturnType<typeof setTimeout> | undefined;
  /** Bumped when a lane is taken away from a member, so its late result is ignored. */
  generation: number;
}

interface Group {
  readonly name: string;
  members: MemorySubscription[];
  readonly lanes: Map<string, Lane>;
  /** Lanes that may have work to start. */
  readonly runnable: Set<string>;
  readonly deadLetters: (DeadLetter & { readonly message: Message })[];
  nextMember: number;
}

class MemorySubscription implements BusSubscription {
  accepting = false;
  inFlight = 0;
  readonly #running = new Set<Promise<unknown>>();

  constructor(
    readonly bus: InMemoryEventBus,
    readonly handler: BusHandler,
    readonly options: ResolvedSubscribeOptions,
    readonly concurrency: number,
  ) {}

  async start(): Promise<void> {
    if (this.accepting) return;
    this.accepting = true;
    try {
      this.bus.join(this);
    } catch (error) {
      this.accepting = false; // a closed bus
      throw error;
    }
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.accepting) return;
    this.accepting = false;
    this.bus.leave(this);
    if (this.#running.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        Promise.allSettled([...this.#running]).then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!drained) this.bus.abandon(this);
    }
  }

  async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    this.#running.add(work);
    try {
      return await work;
    } finally {
      this.inFlight--;
      this.#running.delete(work);
    }
  }
}
