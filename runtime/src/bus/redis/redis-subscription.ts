import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { EventRegistry } from '../../events/event-registry.js';
import { backoffDelay, sleep, type Backoff } from '../../retry/index.js';
import { deliverNow, type DeliveryOutcome, type ResolvedSubscribeOptions } from '../deliver.js';
import { BusClosedError } from '../bus-errors.js';
import type { BusHandler, BusSubscription } from '../event-bus.js';
import { KeyedLanes } from '../keyed-lanes.js';
import { PartitionBalancer, type RevokeReason } from '../partition-balancer.js';
import { settleWithin } from '../settle-within.js';
import { AckBatcher } from './redis-ack-batcher.js';
import { deadLetterFields, encodeEntry, splitEntry, type StreamEntry } from './redis-codec.js';
import type { RedisKeys } from './redis-names.js';
import { RedisLeaseStore } from './redis-lease-store.js';
import { idleWithin, type OwnedPartition } from './redis-owned-partition.js';
import { RedisRetryLoop } from './redis-retry-loop.js';
import { DEAD_FROM_STREAM, PARK, RETRY_FROM_STREAM } from './redis-scripts.js';

/** Subscription settings derived from the bus options. */
export interface RedisSubscriptionSettings {
  readonly startFrom: 'oldest' | 'latest';
  readonly concurrency: number;
  readonly claimIdleMs: number;
  readonly leaseTtlMs: number;
  readonly balanceIntervalMs: number;
  readonly retryPollMs: number;
  readonly onError: (error: unknown) => void;
}

export interface RedisSubscriptionInit extends RedisSubscriptionSettings {
  readonly redis: Redis;
  readonly keys: RedisKeys;
  readonly registry: EventRegistry;
  readonly partitions: number;
  readonly handler: BusHandler;
  readonly options: ResolvedSubscribeOptions;
  /** Whether the bus was closed: a subscription of a closed bus cannot start again. */
  readonly closed: () => boolean;
  /** The typed error for a failed Redis command (`BusUnavailableError` when Redis is unreachable or refuses). */
  readonly failure: (error: unknown) => unknown;
}

const READ_COUNT = 100;
const MAX_BUFFERED = 2000;
const BLOCK_MS = 2000;
/** Between failed reads: 50 ms doubling to 2 s. */
const READ_BACKOFF: Backoff = { initialDelayMs: 50, maxDelayMs: 2000, multiplier: 2, jitter: 0 };

/**
 * One member of a consumer group on a Redis bus: owns some partitions (leases), reads them with
 * XREADGROUP on a dedicated connection, runs handlers in per-aggregate lanes, and manages the
 * group's retry sets, park lists and dead letters for its partitions.
 */
export class RedisSubscription implements BusSubscription {
  readonly member = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #init: RedisSubscriptionInit;
  readonly #owned = new Map<number, OwnedPartition>();
  readonly #lanes: KeyedLanes;
  readonly #acks: AckBatcher<OwnedPartition>;
  readonly #retries: RedisRetryLoop;
  #balancer: PartitionBalancer | undefined;
  #reader: Redis | undefined;
  #readerId: number | undefined;
  /** Bumped each time the reader's connection closes (see the read loop). */
  #readerEpoch = 0;
  #loops: Promise<void>[] = [];
  #running = false;
  #buffered = 0;
  #wakeReader: (() => void) | undefined;

  constructor(init: RedisSubscriptionInit) {
    this.#init = init;
    this.#lanes = new KeyedLanes(init.concurrency);
    this.#acks = new AckBatcher(init.redis, init.options.group, (state, ids, error) =>
      this.#acksSettled(state, ids, error),
    );
    this.#retries = new RedisRetryLoop({
      init,
      lanes: this.#lanes,
      owned: this.#owned,
      running: () => this.#running,
      track: (state, work) => this.#track(state, work),
      report: (error) => this.#report(error),
    });
  }

  get group(): string {
    return this.#init.options.group;
  }

  async start(): Promise<void> {
    if (this.#init.closed()) throw new BusClosedError('Redis');
    if (this.#running) return;
    try {
      await this.#start();
    } catch (error) {
      // A reader made before the failure would keep reconnecting: it is this attempt's to close.
      if (!this.#running) {
        this.#reader?.disconnect();
        this.#reader = undefined;
      }
      throw this.#init.failure(error);
    }
  }

  async #start(): Promise<void> {
    const { redis, keys, partitions, startFrom } = this.#init;
    await redis.sadd(keys.groups(), this.group);
    await Promise.all(
      Array.from({ length: partitions }, (_, p) =>
        redis
          .xgroup('CREATE', keys.stream(p), this.group, startFrom === 'oldest' ? '0' : '$', 'MKSTREAM')
          .catch((error: Error) => {
            if (!error.message.includes('BUSYGROUP')) throw error;
          }),
      ),
    );
    this.#reader = redis.duplicate();
    this.#reader.on('error', (error: unknown) => this.#report(error));
    this.#reader.on('close', () => this.#readerEpoch++);
    this.#reader.on('ready', () => {
      void this.#reader
        ?.client('ID')
        .then((id) => (this.#readerId = Number(id)))
        .catch(() => undefined);
    });
    this.#readerId = Number(await this.#reader.client('ID'));
    this.#running = true;
    this.#balancer = new PartitionBalancer({
      store: new RedisLeaseStore(redis, keys, this.group),
      partitions,
      member: this.member,
      leaseTtlMs: this.#init.leaseTtlMs,
      intervalMs: this.#init.balanceIntervalMs,
      onAssigned: (p) => this.#assign(p),
      onRevoked: (p, reason) => this.#revoke(p, reason),
      onError: (error) => this.#report(error),
    });
    await this.#balancer.start();
    this.#loops = [this.#readLoop(), this.#retries.run()];
  }

  /**
   * Stops reading, waits up to `timeoutMs` for running handlers, then gives its partitions back.
   * Each Redis round trip of the shutdown is bounded too (by one lease TTL, after which this
   * member's leases have expired by themselves), so stop returns even while Redis is unreachable:
   * at most about `timeoutMs` + 7 lease TTLs + 2 s.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stopTimeout = timeoutMs;
    this.#retries.wake();
    const bound = this.#init.leaseTtlMs;
    await settleWithin([this.#unblockReader()], bound);
    await this.#balancer?.stop();
    // A blocked read ends within BLOCK_MS; one stuck on a lost connection ends with the disconnect below.
    await settleWithin(this.#loops, bound + BLOCK_MS);
    const reader = this.#reader;
    if (reader && !(await settleWithin([reader.quit()], bound))) reader.disconnect();
    // Best effort: forget this consumer if it holds nothing (DELCONSUMER would drop its pending entries).
    const forget = Promise.all(
      Array.from({ length: this.#init.partitions }, async (_, p) => {
        const stream = this.#init.keys.stream(p);
        const pending = (await this.#init.redis.call(
          'XPENDING',
          stream,
          this.group,
          '-',
          '+',
          1,
          this.member,
        )) as unknown[];
        if (pending.length === 0) await this.#init.redis.call('XGROUP', 'DELCONSUMER', stream, this.group, this.member);
      }),
    );
    await settleWithin([forget], bound);
  }

  #stopTimeout = 30_000;

  #assign(partition: number): void {
    const state: OwnedPartition = {
      revoked: () => !state.active,
      partition,
      stream: this.#init.keys.stream(partition),
      active: true,
      ready: false,
      pendingScan: true,
      scanFrom: '0',
      parked: new Set(),
      inFlight: new Set(),
      busy: 0,
      onIdle: [],
      taken: new Set(),
      lastClaim: Date.now(),
    };
    this.#owned.set(partition, state);
    void this.#takeOver(state)
      .then(() => {
        state.ready = true;
        void this.#unblockReader();
        this.#retries.wake();
      })
      .catch((error: unknown) => {
        this.#report(error);
        // Give the partition back so another member (or a later tick) can retry the takeover.
        if (this.#owned.get(partition) === state) void this.#revoke(partition, 'lost');
      });
  }

  /** Loads the parked aggregates and claims every entry the previous owner left pending. */
  async #takeOver(state: OwnedPartition): Promise<void> {
    const { redis, keys } = this.#init;
    for (const key of await redis.hkeys(keys.parked(this.group, state.partition))) state.parked.add(key);
    let cursor = '0-0';
    do {
      const [next] = (await redis.call(
        'XAUTOCLAIM',
        state.stream,
        this.group,
        this.member,
        0,
        cursor,
        'COUNT',
        500,
        'JUSTID',
      )) as [string];
      cursor = next;
    } while (cursor !== '0-0' && state.active);
  }

  async #revoke(partition: number, reason: RevokeReason): Promise<void> {
    const state = this.#owned.get(partition);
    if (!state) return;
    state.active = false;
    this.#owned.delete(partition);
    void this.#unblockReader();
    if (reason === 'lost') return;
    const timeout = reason === 'stop' ? this.#stopTimeout : this.#init.leaseTtlMs / 2;
    await idleWithin(state, timeout);
    // Retries taken but not run become due now, for the next owner.
    if (state.taken.size > 0) {
      const pipeline = this.#init.redis.pipeline();
      for (const entry of state.taken)
        pipeline.zadd(this.#init.keys.retry(this.group, partition), 'XX', Date.now(), entry);
      // Bounded: they become due again by themselves once their visibility timeout passes.
      await settleWithin([pipeline.exec().catch((error: unknown) => this.#report(error))], this.#init.leaseTtlMs);
    }
  }

  async #readLoop(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      const ready = [...this.#owned.values()].filter((s) => s.active && s.ready);
      if (ready.length === 0 || this.#buffered >= MAX_BUFFERED) {
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
          setTimeout(resolve, ready.length === 0 ? 100 : 5);
        });
        continue;
      }
      try {
        const scanning = ready.filter((s) => s.pendingScan);
        if (scanning.length > 0) {
          for (const state of scanning) await this.#scanPending(state);
        } else {
          await this.#claimIdle(ready);
          // Re-check after the await: never read a partition that was revoked meanwhile.
          const reading = ready.filter((s) => s.active);
          if (reading.length === 0) continue;
          const epoch = this.#readerEpoch;
          const reply = (await this.#reader!.call(
            'XREADGROUP',
            'GROUP',
            this.group,
            this.member,
            'COUNT',
            READ_COUNT,
            'BLOCK',
            BLOCK_MS,
            'STREAMS',
            ...reading.map((s) => s.stream),
            ...reading.map(() => '>'),
          )) as [string, [string, string[] | null][]][] | null;
          if (epoch !== this.#readerEpoch) {
            // The connection dropped while the read was out, and ioredis sent it again: this reply
            // came from the resend, while the first send's entries may sit in our pending list,
            // unseen and older. Read the pending list (which holds both) in order instead.
            this.#rescanAll();
            continue;
          }
          for (const [stream, entries] of reply ?? []) {
            const state = reading.find((s) => s.stream === stream)!;
            for (const [id, fields] of entries) this.#dispatch(state, id, fields, 1);
          }
        }
        failures = 0;
      } catch (error) {
        if (!this.#running) break;
        this.#report(error);
        // The reply may have been lost with the connection: re-read our own pending entries first.
        this.#rescanAll();
        await sleep(backoffDelay(READ_BACKOFF, ++failures));
      }
    }
  }

  #rescanAll(): void {
    for (const state of this.#owned.values()) {
      state.pendingScan = true;
      state.scanFrom = '0';
    }
  }

  /** Reads entries already delivered to this member and not acknowledged, oldest first. */
  async #scanPending(state: OwnedPartition): Promise<void> {
    const reply = (await this.#reader!.call(
      'XREADGROUP',
      'GROUP',
      this.group,
      this.member,
      'COUNT',
      READ_COUNT,
      'STREAMS',
      state.stream,
      state.scanFrom,
    )) as [string, [string, string[] | null][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length < READ_COUNT) {
      state.pendingScan = false;
      state.scanFrom = '0';
    } else {
      state.scanFrom = entries[entries.length - 1]![0];
    }
    const fresh = entries.filter(([id]) => !state.inFlight.has(id));
    if (fresh.length === 0) return;
    const counts = await this.#deliveryCounts(state, fresh[0]![0], fresh[fresh.length - 1]![0], fresh.length);
    for (const [id, fields] of fresh) this.#dispatch(state, id, fields, Math.max(1, counts.get(id) ?? 1));
  }

  /** XAUTOCLAIM: takes over entries idle longer than `claimIdleMs` (lost replies, stuck consumers). */
  async #claimIdle(ready: OwnedPartition[]): Promise<void> {
    const now = Date.now();
    for (const state of ready) {
      if (now - state.lastClaim < this.#init.claimIdleMs / 2) continue;
      state.lastClaim = now;
      const [, ids] = (await this.#init.redis.call(
        'XAUTOCLAIM',
        state.stream,
        this.group,
        this.member,
        this.#init.claimIdleMs,
        '0-0',
        'COUNT',
        500,
        'JUSTID',
      )) as [string, string[]];
      if (ids.some((id) => !state.inFlight.has(id))) state.pendingScan = true;
    }
  }

  async #deliveryCounts(state: OwnedPartition, from: string, to: string, count: number): Promise<Map<string, number>> {
    const rows = (await this.#init.redis.call('XPENDING', state.stream, this.group, from, to, count, this.member)) as [
      string,
      string,
      number,
      number,
    ][];
    return new Map(rows.map(([id, , , deliveries]) => [id, Number(deliveries)]));
  }

  #dispatch(state: OwnedPartition, id: string, list: string[] | null, attempt: number): void {
    state.inFlight.add(id);
    this.#buffered++;
    const fields = list ? splitEntry(list) : undefined;
    // An entry without a key (trimmed, or from a foreign producer) has no order to keep: its own lane.
    const key = fields && fields.key !== '' ? fields.key : `trimmed-${id}`;
    // The lane is freed once the handler is done; the XACK completes in the background (batched),
    // and only then is the entry forgotten, so a pending scan never re-reads it meanwhile.
    // (Hot path: methods and inline callbacks rather than named closures, which cost per message.)
    this.#lanes.enqueue(
      key,
      () => this.#runStreamEntry(state, id, fields, attempt),
      state.revoked,
      (ran) => {
        if (!ran) this.#forget(state, id);
      },
    );
  }

  /** Runs an entry's handler; returns nothing when it finished synchronously (the lane moves on at once). */
  #runStreamEntry(
    state: OwnedPartition,
    id: string,
    fields: StreamEntry | undefined,
    attempt: number,
  ): Promise<void> | undefined {
    state.busy++;
    let handled: boolean | Promise<boolean>;
    try {
      handled = this.#handleStreamEntry(state, id, fields, attempt);
    } catch (error) {
      this.#finishEntry(state, id, error);
      return;
    }
    if (typeof handled === 'boolean') {
      this.#settleStreamEntry(state, id, handled);
      return;
    }
    return handled.then(
      (ack) => this.#settleStreamEntry(state, id, ack),
      (error: unknown) => this.#finishEntry(state, id, error),
    );
  }

  /** `ack`: a plain success, acknowledged in the next batch; otherwise the entry was moved (retry, park, dead letter). */
  #settleStreamEntry(state: OwnedPartition, id: string, ack: boolean): void {
    if (ack) this.#acks.ack(state, id);
    else this.#finishEntry(state, id, undefined);
  }

  #acksSettled(state: OwnedPartition, ids: readonly string[], error: unknown): void {
    if (error !== undefined) this.#failed(state, error);
    for (const id of ids) this.#finishEntry(state, id, undefined);
  }

  #finishEntry(state: OwnedPartition, id: string, error: unknown): void {
    if (error !== undefined) this.#failed(state, error);
    this.#release(state);
    this.#forget(state, id);
  }

  #forget(state: OwnedPartition, id: string): void {
    state.inFlight.delete(id);
    this.#buffered--;
    this.#wakeReader?.();
  }

  /**
   * Handles one entry. Returns true for a plain success: the caller queues the XACK (batched)
   * without holding the aggregate's lane during its round trip. A synchronous handler's success
   * comes back without a promise.
   */
  #handleStreamEntry(
    state: OwnedPartition,
    id: string,
    fields: StreamEntry | undefined,
    attempt: number,
  ): boolean | Promise<boolean> {
    if (!fields || state.parked.has(fields.key)) return this.#setAside(state, id, fields, attempt);
    const { body, headers } = fields;
    const outcome = deliverNow({
      system: 'redis',
      registry: this.#init.registry,
      handler: this.#init.handler,
      options: this.#init.options,
      body,
      headers,
      attempt,
    });
    if (outcome instanceof Promise)
      return outcome.then((settled) => settled.kind === 'ack' || this.#reschedule(state, id, fields, attempt, settled));
    return outcome.kind === 'ack' || this.#reschedule(state, id, fields, attempt, outcome);
  }

  /** A trimmed entry goes to the dead letters; one of a parked aggregate joins its park list. */
  async #setAside(state: OwnedPartition, id: string, fields: StreamEntry | undefined, attempt: number): Promise<false> {
    const { redis, keys } = this.#init;
    if (!fields) {
      // Trimmed away before it was handled: say so in the dead-letter stream rather than drop it silently.
      const outcome: DeliveryOutcome = {
        kind: 'dead-letter',
        reason: 'undecodable',
        error: `Entry ${id} was trimmed from ${state.stream} before it was handled; raise the retention.`,
      };
      await DEAD_FROM_STREAM.run(
        redis,
        [state.stream, keys.deadLetters(this.group)],
        [this.group, id, ...deadLetterFields(this.group, outcome, { id, key: '', body: '', headers: {}, attempt })],
      );
      return false;
    }
    const { key, body, headers } = fields;
    await PARK.run(
      redis,
      [state.stream, keys.park(this.group, state.partition, key)],
      [this.group, id, encodeEntry({ id, key, body, headers, attempt: 1 })],
    );
    return false;
  }

  /** The handler failed: schedule a retry (parking the aggregate) or dead-letter the entry. */
  async #reschedule(
    state: OwnedPartition,
    id: string,
    fields: StreamEntry,
    attempt: number,
    outcome: Exclude<DeliveryOutcome, { kind: 'ack' }>,
  ): Promise<false> {
    const { redis, keys } = this.#init;
    const { key, body, headers } = fields;
    if (outcome.kind === 'retry') {
      const entry = encodeEntry({ id, key, body, headers, attempt: attempt + 1 });
      const retryKeys = [
        state.stream,
        keys.retry(this.group, state.partition),
        keys.parked(this.group, state.partition),
      ];
      await RETRY_FROM_STREAM.run(redis, retryKeys, [this.group, id, Date.now() + outcome.delayMs, entry, key]);
      state.parked.add(key);
    } else {
      const entry = { id, key, body, headers, attempt };
      await DEAD_FROM_STREAM.run(
        redis,
        [state.stream, keys.deadLetters(this.group)],
        [this.group, id, ...deadLetterFields(this.group, outcome, entry)],
      );
    }
    return false;
  }

  async #track(state: OwnedPartition, work: () => Promise<void>): Promise<void> {
    state.busy++;
    try {
      await work();
    } catch (error) {
      this.#failed(state, error);
    } finally {
      this.#release(state);
    }
  }

  /** A Redis error after the handler ran: the entry stays pending (or taken) and is redelivered. */
  #failed(state: OwnedPartition, error: unknown): void {
    this.#report(error);
    state.pendingScan = true;
  }

  #release(state: OwnedPartition): void {
    if (--state.busy === 0 && state.onIdle.length > 0) for (const resolve of state.onIdle.splice(0)) resolve();
  }

  async #unblockReader(): Promise<void> {
    this.#wakeReader?.();
    if (this.#readerId === undefined) return;
    await this.#init.redis.call('CLIENT', 'UNBLOCK', this.#readerId).catch(() => undefined);
  }

  #report(error: unknown): void {
    this.#init.onError(error);
  }
}
