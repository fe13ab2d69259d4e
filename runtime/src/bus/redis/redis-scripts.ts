import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BusHeader } from '../bus-message.js';

/** A Lua script run with EVALSHA, falling back to EVAL the first time the server lacks it. */
export class LuaScript {
  readonly #sha: string;
  constructor(readonly source: string) {
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Appends entries to their partition streams, in order, in one call (a pipeline of XADDs costs the
 * client a command, a promise and a reply per entry). KEYS: the stream of each entry. ARGV: the
 * three trim arguments of XADD (`MAXLEN|MINID`, `~`, threshold), then six values per entry: key,
 * body, event type, aggregate type, traceparent, tracestate (the last two empty when absent; a
 * tracestate means nothing without a traceparent). Field names live here rather than in ARGV,
 * which makes the call cheaper for the server. Returns the number of entries added.
 */
export const APPEND = new LuaScript(`
local kind, op, threshold = ARGV[1], ARGV[2], ARGV[3]
local at = 4
for _, key in ipairs(KEYS) do
  local traceparent, tracestate = ARGV[at + 4], ARGV[at + 5]
  if traceparent == '' then
    redis.call('XADD', key, kind, op, threshold, '*', 'key', ARGV[at], 'body', ARGV[at + 1],
      '${BusHeader.eventType}', ARGV[at + 2], '${BusHeader.aggregateType}', ARGV[at + 3])
  elseif tracestate == '' then
    redis.call('XADD', key, kind, op, threshold, '*', 'key', ARGV[at], 'body', ARGV[at + 1],
      '${BusHeader.eventType}', ARGV[at + 2], '${BusHeader.aggregateType}', ARGV[at + 3], 'traceparent', traceparent)
  else
    redis.call('XADD', key, kind, op, threshold, '*', 'key', ARGV[at], 'body', ARGV[at + 1],
      '${BusHeader.eventType}', ARGV[at + 2], '${BusHeader.aggregateType}', ARGV[at + 3], 'traceparent', traceparent, 'tracestate', tracestate)
  end
  at = at + 6
end
return #KEYS`);

/** KEYS: members. ARGV: member, expiresAt, now. Returns the live member count. */
export const HEARTBEAT = new LuaScript(`
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('PEXPIRE', KEYS[1], 3600000)
return redis.call('ZCARD', KEYS[1])`);

/** KEYS: lease keys. ARGV: member, ttl. Returns 1/0 per key. */
export const RENEW = new LuaScript(`
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]); out[i] = 1 else out[i] = 0 end
end
return out`);

/** KEYS: lease. ARGV: member. */
export const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** A stream message of a parked aggregate joins the back of its park list. KEYS: stream, park list. ARGV: group, id, entry. */
export const PARK = new LuaScript(`
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1`);

/** A stream message failed: schedule its retry and park its aggregate. KEYS: stream, retry, parked. ARGV: group, id, due, entry, key. */
export const RETRY_FROM_STREAM = new LuaScript(`
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[5], 1)
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1`);

/** A stream message is dead-lettered. KEYS: stream, dlq. ARGV: group, id, field, value, ... */
export const DEAD_FROM_STREAM = new LuaScript(`
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1`);

/**
 * Takes due retries from several retry sets in one call, hiding them until `visibleAt` in case
 * this member dies. Returns one list per key. KEYS: retry sets. ARGV: now, visibleAt, limit.
 *
 * Idempotent for a resend with the same arguments (ioredis resends a command whose reply was lost
 * with the connection): entries hidden at exactly `visibleAt` were taken by the first run and are
 * returned again, rather than staying hidden until `visibleAt`.
 */
export const TAKE_DUE_ALL = new LuaScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local taken = redis.call('ZRANGEBYSCORE', key, ARGV[2], ARGV[2], 'LIMIT', 0, ARGV[3])
  local due = redis.call('ZRANGEBYSCORE', key, '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
  for _, entry in ipairs(due) do
    redis.call('ZADD', key, 'XX', ARGV[2], entry)
    taken[#taken + 1] = entry
  end
  out[i] = taken
end
return out`);

/** A retry failed again. KEYS: retry. ARGV: old entry, due, new entry. */
export const RETRY_AGAIN = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1`);

/**
 * A retried message is finished (handled, or dead-lettered when field/value pairs follow). Unless
 * it was a replay, the aggregate's next parked message becomes due now, or the aggregate is
 * unparked. Returns 1 if a parked message was scheduled, 0 if the aggregate was unparked, -1 for
 * a replay. KEYS: retry, parked, park list, dlq. ARGV: entry, replay (0/1), now, key, field, value, ...
 */
export const RETRY_DONE = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
if #ARGV > 4 then
  local fields = {}
  for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('XADD', KEYS[4], '*', unpack(fields))
end
if ARGV[2] == '1' then return -1 end
local nextEntry = redis.call('LPOP', KEYS[3])
if nextEntry then
  redis.call('ZADD', KEYS[1], ARGV[3], nextEntry)
  return 1
end
redis.call('HDEL', KEYS[2], ARGV[4])
return 0`);

/** Moves a dead letter back to its group's retry set. KEYS: dlq, retry. ARGV: id, now, entry. */
export const REPLAY = new LuaScript(`
if redis.call('XDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0`);
