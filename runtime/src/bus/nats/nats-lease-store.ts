import type { KV } from 'nats';
import type { PartitionLeaseStore } from '../partition-balancer.js';

/**
 * Partition leases of one consumer group in a JetStream key-value bucket whose TTL is the lease
 * TTL: a key nobody refreshes disappears by itself.
 */
export class NatsLeaseStore implements PartitionLeaseStore {
  readonly #codec = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly kv: KV,
    private readonly group: string,
  ) {}

  async heartbeat(member: string, ttlMs: number): Promise<number> {
    await this.kv.put(this.#member(member), this.#codec.encode(String(Date.now())));
    // Listing keys runs a consumer that can wait for ever if the connection drops mid-listing;
    // give up after half a lease (the balancer reports the error and tries again next tick).
    const keys = await this.kv.keys(`${this.#prefix()}.m.*`);
    const timer = setTimeout(
      () => keys.stop(new Error(`Listing the members of group ${this.group} took over ${ttlMs / 2} ms`)),
      ttlMs / 2,
    );
    let count = 0;
    try {
      for await (const _ of keys) count++;
    } finally {
      clearTimeout(timer);
    }
    return count;
  }

  /**
   * Partitions whose previous lease ran out rather than being released (its owner crashed or
   * was cut off): messages it had not acknowledged may still come back.
   */
  readonly expiredBefore = new Set<number>();

  async acquire(partition: number, member: string, _ttlMs: number): Promise<boolean> {
    try {
      // A released lease leaves a purge marker; an expired one leaves nothing.
      const previous = await this.kv.get(this.#lease(partition));
      await this.kv.create(this.#lease(partition), this.#codec.encode(member));
      if (previous === null) this.expiredBefore.add(partition);
      else this.expiredBefore.delete(partition);
      return true;
    } catch {
      return false;
    }
  }

  async renew(partitions: readonly number[], member: string, _ttlMs: number): Promise<boolean[]> {
    return Promise.all(
      partitions.map(async (p) => {
        const entry = await this.kv.get(this.#lease(p));
        if (!entry || entry.operation !== 'PUT' || this.#decoder.decode(entry.value) !== member) return false;
        try {
          await this.kv.update(this.#lease(p), entry.value, entry.revision);
          return true;
        } catch {
          return false;
        }
      }),
    );
  }

  async release(partition: number, member: string): Promise<void> {
    const entry = await this.kv.get(this.#lease(partition));
    if (entry && entry.operation === 'PUT' && this.#decoder.decode(entry.value) === member) {
      await this.kv.purge(this.#lease(partition), { previousSeq: entry.revision }).catch(() => undefined);
    }
  }

  async leave(member: string): Promise<void> {
    await this.kv.purge(this.#member(member));
  }

  #prefix(): string {
    return `g.${this.group.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }
  #member(member: string): string {
    return `${this.#prefix()}.m.${member.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }
  #lease(partition: number): string {
    return `${this.#prefix()}.l.${partition}`;
  }
}
