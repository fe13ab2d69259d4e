import { afterEach, describe, expect, it } from 'vitest';
import { PartitionBalancer, type PartitionLeaseStore, type RevokeReason } from './partition-balancer.js';

/** Leases in a map, with expiry, like Redis keys with a TTL. */
class MemoryLeases implements PartitionLeaseStore {
  readonly leases = new Map<number, { member: string; until: number }>();
  readonly members = new Map<string, number>();
  async heartbeat(member: string, ttlMs: number) {
    const now = Date.now();
    this.members.set(member, now + ttlMs);
    for (const [m, until] of this.members) if (until < now) this.members.delete(m);
    return this.members.size;
  }
  async acquire(p: number, member: string, ttlMs: number) {
    const lease = this.leases.get(p);
    if (lease && lease.until > Date.now()) return false;
    this.leases.set(p, { member, until: Date.now() + ttlMs });
    return true;
  }
  async renew(ps: readonly number[], member: string, ttlMs: number) {
    return ps.map((p) => {
      const lease = this.leases.get(p);
      if (!lease || lease.member !== member || lease.until < Date.now()) return false;
      lease.until = Date.now() + ttlMs;
      return true;
    });
  }
  async release(p: number, member: string) {
    if (this.leases.get(p)?.member === member) this.leases.delete(p);
  }
  async leave(member: string) {
    this.members.delete(member);
  }
}

const waitUntil = async (condition: () => boolean) => {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
};

describe('PartitionBalancer', () => {
  const balancers: PartitionBalancer[] = [];
  afterEach(async () => {
    await Promise.all(balancers.map((b) => b.stop()));
    balancers.length = 0;
  });

  const member = (store: MemoryLeases, name: string, log: string[], leaseTtlMs = 200) => {
    const balancer = new PartitionBalancer({
      store,
      partitions: 8,
      member: name,
      leaseTtlMs,
      intervalMs: 20,
      onAssigned: (p) => log.push(`${name} +${p}`),
      onRevoked: async (p: number, reason: RevokeReason) => void log.push(`${name} -${p} ${reason}`),
      onError: (error) => void log.push(`${name} error ${(error as Error).message}`),
    });
    balancers.push(balancer);
    return balancer;
  };

  it('gives a lone member every partition, then splits them evenly when another joins', async () => {
    const store = new MemoryLeases();
    const log: string[] = [];
    const a = member(store, 'a', log);
    await a.start();
    expect(a.owned.size).toBe(8);
    const b = member(store, 'b', log);
    await b.start();
    await waitUntil(() => a.owned.size === 4 && b.owned.size === 4);
    expect(log.filter((l) => l.startsWith('a -')).every((l) => l.endsWith('rebalance'))).toBe(true);
    expect(new Set([...a.owned, ...b.owned]).size).toBe(8);
  });

  it('takes over the partitions of a member that stopped heartbeating once its leases expire', async () => {
    const store = new MemoryLeases();
    const log: string[] = [];
    let crashed = false;
    // Member a reaches the store through a link that the test cuts: a crash, as far as b can tell.
    const link = new Proxy(store, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) =>
          crashed
            ? Promise.reject(new Error('link down'))
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    const a = member(link, 'a', log);
    await a.start();
    const b = member(store, 'b', log);
    await b.start();
    await waitUntil(() => b.owned.size === 4);
    crashed = true;
    await waitUntil(() => b.owned.size === 8);
    await waitUntil(() => a.owned.size === 0); // a noticed its leases ran out and stopped consuming
    expect(log.some((l) => l.startsWith('a -') && l.endsWith('lost'))).toBe(true);
  });

  it('releases everything on stop', async () => {
    const store = new MemoryLeases();
    const log: string[] = [];
    const a = member(store, 'a', log);
    await a.start();
    await a.stop();
    balancers.length = 0;
    expect(store.leases.size).toBe(0);
    expect(log.filter((l) => l.endsWith('stop'))).toHaveLength(8);
  });

  it('stops even when the lease store stops answering mid-tick', async () => {
    const store = new MemoryLeases();
    const log: string[] = [];
    const balancer = member(store, 'a', log);
    await balancer.start();
    await waitUntil(() => balancer.owned.size === 8);
    // From now on a heartbeat hangs, as a request lost with its connection can.
    let hung = false;
    store.heartbeat = () => ((hung = true), new Promise<number>(() => {}));
    await waitUntil(() => hung);
    await balancer.stop(); // bounded by the lease TTL (200 ms here), not by the hung request
    expect(balancer.owned.size).toBe(0);
    expect(log.filter((l) => l.endsWith(' stop'))).toHaveLength(8);
    expect(store.members.has('a')).toBe(false);
  });
});
