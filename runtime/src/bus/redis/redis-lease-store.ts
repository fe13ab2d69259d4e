import type { Redis } from 'ioredis';
import type { PartitionLeaseStore } from '../partition-balancer.js';
import type { RedisKeys } from './redis-names.js';
import { HEARTBEAT, RELEASE, RENEW } from './redis-scripts.js';

/** Partition leases of one consumer group, as Redis strings with a TTL. */
export class RedisLeaseStore implements PartitionLeaseStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly group: string,
  ) {}

  async heartbeat(member: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    return Number(await HEARTBEAT.run(this.redis, [this.keys.members(this.group)], [member, now + ttlMs, now]));
  }

  async acquire(partition: number, member: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.lease(this.group, partition), member, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async renew(partitions: readonly number[], member: string, ttlMs: number): Promise<boolean[]> {
    const keys = partitions.map((p) => this.keys.lease(this.group, p));
    const result = (await RENEW.run(this.redis, keys, [member, ttlMs])) as number[];
    return result.map((r) => r === 1);
  }

  async release(partition: number, member: string): Promise<void> {
    await RELEASE.run(this.redis, [this.keys.lease(this.group, partition)], [member]);
  }

  async leave(member: string): Promise<void> {
    await this.redis.zrem(this.keys.members(this.group), member);
  }
}
