import { settleWithin } from './settle-within.js';

/**
 * Where a consumer group keeps its partition leases and member heartbeats (a Redis hash, a NATS
 * key-value bucket...). Leases expire by themselves, so a crashed member's partitions are taken
 * over after `ttlMs`.
 */
export interface PartitionLeaseStore {
  /** Marks `member` alive for `ttlMs`; returns how many members of the group are alive. */
  heartbeat(member: string, ttlMs: number): Promise<number>;
  /** Takes the lease if nobody holds it. */
  acquire(partition: number, member: string, ttlMs: number): Promise<boolean>;
  /** Extends leases `member` still holds; `false` for each one it lost. */
  renew(partitions: readonly number[], member: string, ttlMs: number): Promise<boolean[]>;
  /** Gives a lease up (only if `member` holds it). */
  release(partition: number, member: string): Promise<void>;
  /** Removes the member's heartbeat. */
  leave(member: string): Promise<void>;
}

export type RevokeReason = 'rebalance' | 'lost' | 'stop';

export interface PartitionBalancerOptions {
  readonly store: PartitionLeaseStore;
  readonly partitions: number;
  readonly member: string;
  readonly leaseTtlMs: number;
  readonly intervalMs: number;
  /** The member now owns `partition` and may consume it. */
  readonly onAssigned: (partition: number) => void;
  /**
   * The member must stop consuming `partition`. For `rebalance` and `stop`, resolve once in-flight
   * work is done: the lease is released only then, so the next owner continues in order.
   */
  readonly onRevoked: (partition: number, reason: RevokeReason) => Promise<void>;
  readonly onError: (error: unknown) => void;
}

/**
 * Spreads a group's partitions over its live members: each takes at most ⌈partitions / members⌉,
 * hands extras over gracefully (drain, then release), and picks up partitions nobody holds.
 * One owner per partition is what keeps per-aggregate order when a group has several members.
 */
export class PartitionBalancer {
  readonly owned = new Set<number>();
  readonly #releasing = new Set<number>();
  readonly #options: PartitionBalancerOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = true;
  #validUntil = 0;

  constructor(options: PartitionBalancerOptions) {
    this.#options = options;
  }

  /** Joins the group and takes a first share of partitions. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#tick();
  }

  /** Revokes every partition (draining), releases the leases and leaves the group. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    // A lease store that stopped answering (a request lost with its connection) must not hold up
    // stop for ever: after one lease TTL our leases have expired by themselves anyway.
    const { store, member, leaseTtlMs, onError } = this.#options;
    if (this.#ticking) await settleWithin([this.#ticking], leaseTtlMs);
    const all = [...this.owned];
    this.owned.clear();
    await Promise.all(
      all.map(async (p) => {
        await this.#options.onRevoked(p, 'stop');
        await settleWithin([store.release(p, member).catch(onError)], leaseTtlMs);
      }),
    );
    await settleWithin([store.leave(member).catch(onError)], leaseTtlMs);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#options.intervalMs);
  }

  async #tick(): Promise<void> {
    const run = this.#balance()
      .catch((error: unknown) => {
        this.#options.onError(error);
        if (Date.now() > this.#validUntil) for (const p of [...this.owned]) this.#lose(p);
      })
      .finally(() => {
        this.#ticking = undefined;
        this.#schedule();
      });
    this.#ticking = run;
    await run;
  }

  async #balance(): Promise<void> {
    const { store, member, leaseTtlMs, partitions } = this.#options;
    const startedAt = Date.now();
    const members = Math.max(1, await store.heartbeat(member, leaseTtlMs));
    const held = [...this.owned, ...this.#releasing];
    if (held.length > 0) {
      const kept = await store.renew(held, member, leaseTtlMs);
      held.forEach((p, i) => {
        if (!kept[i] && this.owned.has(p)) this.#lose(p);
      });
    }
    this.#validUntil = startedAt + leaseTtlMs;
    if (this.#stopped) return;

    const target = Math.ceil(partitions / members);
    const extra = this.owned.size - target;
    if (extra > 0) {
      for (const p of [...this.owned].sort((a, b) => b - a).slice(0, extra)) this.#handOver(p);
    } else if (this.owned.size + this.#releasing.size < target) {
      const offset = hash(member) % partitions;
      for (let i = 0; i < partitions && this.owned.size + this.#releasing.size < target; i++) {
        const p = (offset + i) % partitions;
        if (this.owned.has(p) || this.#releasing.has(p)) continue;
        if (await store.acquire(p, member, leaseTtlMs)) {
          if (this.#stopped) {
            // stop() gave up waiting for this tick: hand the lease straight back.
            await store.release(p, member).catch(this.#options.onError);
            break;
          }
          this.owned.add(p);
          this.#options.onAssigned(p);
        }
      }
    }
  }

  #handOver(partition: number): void {
    this.owned.delete(partition);
    this.#releasing.add(partition);
    void this.#options
      .onRevoked(partition, 'rebalance')
      .then(() => this.#options.store.release(partition, this.#options.member))
      .catch(this.#options.onError)
      .finally(() => this.#releasing.delete(partition));
  }

  #lose(partition: number): void {
    this.owned.delete(partition);
    void this.#options.onRevoked(partition, 'lost').catch(this.#options.onError);
  }
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}
