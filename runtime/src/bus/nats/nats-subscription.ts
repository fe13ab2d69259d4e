import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { JetStreamClient, JetStreamManager, KV, NatsConnection } from 'nats';
import type { EventRegistry } from '../../events/event-registry.js';
import type { ResolvedSubscribeOptions } from '../deliver.js';
import { BusClosedError } from '../bus-errors.js';
import type { BusHandler, BusSubscription } from '../event-bus.js';
import { KeyedLanes } from '../keyed-lanes.js';
import { PartitionBalancer, type RevokeReason } from '../partition-balancer.js';
import { nats } from './nats-driver.js';
import { NatsLeaseStore } from './nats-lease-store.js';
import type { NatsNames } from './nats-names.js';
import { NatsPartitionWorker } from './nats-partition-worker.js';

const { AckPolicy, DeliverPolicy, nanos } = nats;

export interface NatsSubscriptionInit {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly topology: () => Promise<{ jsm: JetStreamManager; kv: KV }>;
  readonly names: NatsNames;
  readonly registry: EventRegistry;
  readonly partitions: number;
  readonly handler: BusHandler;
  readonly options: ResolvedSubscribeOptions;
  readonly startFrom: 'oldest' | 'latest';
  readonly concurrency: number;
  readonly ackWaitMs: number;
  readonly leaseTtlMs: number;
  readonly balanceIntervalMs: number;
  readonly onError: (error: unknown) => void;
  /** Whether the bus was closed: a subscription of a closed bus cannot start again. */
  readonly closed: () => boolean;
  /** The typed error for a failed NATS call (`BusUnavailableError` when the connection is closed or refused). */
  readonly failure: (error: unknown) => unknown;
}

/** One member of a consumer group on a NATS bus: consumes the partitions it leases. */
export class NatsSubscription implements BusSubscription {
  readonly member = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #init: NatsSubscriptionInit;
  readonly #lanes: KeyedLanes;
  readonly #workers = new Map<number, NatsPartitionWorker>();
  #balancer: PartitionBalancer | undefined;
  #running = false;
  #stopTimeout = 30_000;
  #status: ReturnType<NatsConnection['status']> | undefined;
  #leases: NatsLeaseStore | undefined;

  constructor(init: NatsSubscriptionInit) {
    this.#init = init;
    this.#lanes = new KeyedLanes(init.concurrency);
  }

  async start(): Promise<void> {
    if (this.#init.closed()) throw new BusClosedError('NATS');
    if (this.#running) return;
    try {
      await this.#start();
    } catch (error) {
      throw this.#init.failure(error);
    }
  }

  async #start(): Promise<void> {
    const { jsm, kv } = await this.#init.topology();
    const { names, options, partitions } = this.#init;
    await Promise.all(
      Array.from({ length: partitions }, (_, p) =>
        jsm.consumers.add(names.stream, {
          durable_name: names.durable(options.group, p),
          filter_subject: names.partitionSubjects(p),
          ack_policy: AckPolicy.Explicit,
          deliver_policy: this.#init.startFrom === 'oldest' ? DeliverPolicy.All : DeliverPolicy.New,
          ack_wait: nanos(this.#init.ackWaitMs),
          // Dead-lettering is ours (after maxAttempts): the server must never stop redelivering on its own.
          max_deliver: -1,
          max_ack_pending: 10_000,
        }),
      ),
    );
    this.#running = true;
    void this.#watchConnection();
    this.#leases = new NatsLeaseStore(kv, options.group);
    this.#balancer = new PartitionBalancer({
      store: this.#leases,
      partitions,
      member: this.member,
      leaseTtlMs: this.#init.leaseTtlMs,
      intervalMs: this.#init.balanceIntervalMs,
      onAssigned: (p) => this.#assign(p),
      onRevoked: (p, reason) => this.#revoke(p, reason),
      onError: (error) => this.#init.onError(error),
    });
    await this.#balancer.start();
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stopTimeout = timeoutMs;
    (this.#status as { stop?: () => void } | undefined)?.stop?.();
    await this.#balancer?.stop();
  }

  /**
   * Deliveries in flight when the connection dropped are lost on the wire and come back only
   * after ack_wait. Workers pause pulling until then, and put what comes back in stream order
   * before handling it (see {@link NatsPartitionWorker}).
   */
  async #watchConnection(): Promise<void> {
    this.#status = this.#init.nc.status();
    for await (const status of this.#status) {
      if (status.type === 'disconnect') {
        const resumeAt = Date.now() + this.#init.ackWaitMs + Math.max(1000, this.#init.ackWaitMs / 2);
        for (const worker of this.#workers.values()) worker.holdPullsUntil(resumeAt);
      }
    }
  }

  #assign(partition: number): void {
    const worker = new NatsPartitionWorker(
      this.#init,
      partition,
      this.#lanes,
      this.#leases?.expiredBefore.has(partition) ?? true,
    );
    this.#workers.set(partition, worker);
    void worker.start().catch((error: unknown) => {
      this.#init.onError(error);
      void this.#revoke(partition, 'lost');
    });
  }

  async #revoke(partition: number, reason: RevokeReason): Promise<void> {
    const worker = this.#workers.get(partition);
    if (!worker) return;
    this.#workers.delete(partition);
    const timeout = reason === 'stop' ? this.#stopTimeout : reason === 'lost' ? 0 : this.#init.leaseTtlMs / 2;
    await worker.stop(timeout);
  }
}
