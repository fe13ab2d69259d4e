/**
 * Key layout of a Redis bus with prefix `p` (one prefix per domain):
 *
 * - `p:stream:<n>`                 partition stream n (XADD; trimmed with MAXLEN ~ or MINID ~)
 * - `p:groups`                     set of consumer group names
 * - `p:g:<group>:members`          zset of live members (score: heartbeat expiry, ms)
 * - `p:g:<group>:lease:<n>`        owner of partition n (string with a TTL)
 * - `p:g:<group>:retry:<n>`        zset of retries due (score: due time, ms)
 * - `p:g:<group>:parked:<n>`       hash of aggregates whose head message is being retried
 * - `p:g:<group>:park:<n>:<key>`   list of that aggregate's later messages, in order
 * - `p:dlq:<group>`                dead-letter stream of the group (never trimmed)
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  stream(partition: number): string {
    return `${this.prefix}:stream:${partition}`;
  }
  groups(): string {
    return `${this.prefix}:groups`;
  }
  members(group: string): string {
    return `${this.prefix}:g:${group}:members`;
  }
  lease(group: string, partition: number): string {
    return `${this.prefix}:g:${group}:lease:${partition}`;
  }
  retry(group: string, partition: number): string {
    return `${this.prefix}:g:${group}:retry:${partition}`;
  }
  parked(group: string, partition: number): string {
    return `${this.prefix}:g:${group}:parked:${partition}`;
  }
  park(group: string, partition: number, key: string): string {
    return `${this.prefix}:g:${group}:park:${partition}:${key}`;
  }
  deadLetters(group: string): string {
    return `${this.prefix}:dlq:${group}`;
  }
}
