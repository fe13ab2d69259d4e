import { describe, expect, it } from 'vitest';
import { busConformanceRegistry } from '../../testing/bus-conformance-fixtures.js';
import { BusConfigurationError } from '../bus-errors.js';
import { RedisEventBus } from './redis-event-bus.js';
import { checkRedisUrl, redactRedisUrl } from './redis-url.js';

const FORM = 'Write it as redis://[user:password@]host:port[/db] (rediss:// for TLS)';

function refusal(url: string): BusConfigurationError {
  try {
    checkRedisUrl(url);
  } catch (error) {
    expect(error).toBeInstanceOf(BusConfigurationError);
    return error as BusConfigurationError;
  }
  throw new Error(`${url} was accepted`);
}

describe('Redis bus URL', () => {
  it('accepts redis:// and rediss:// URLs with a host, an optional port and database', () => {
    for (const url of [
      'redis://127.0.0.1:6379',
      'redis://cache.internal',
      'redis://:secret@127.0.0.1:6379/2',
      'redis://fixbus:p%40ss@127.0.0.1:6380/0',
      'rediss://cache.internal:6380?family=6',
      'redis://[::1]:6379/',
    ]) {
      expect(() => checkRedisUrl(url), url).not.toThrow();
    }
  });

  it('refuses a port that is not a number, naming the URL without its password and the form to use', () => {
    const error = refusal('redis://u:secret@127.0.0.1:notaport');
    expect(error.code).toBe('BUS.CONFIGURATION');
    expect(error.option).toBe('redis');
    expect(error.message).toBe(
      'Invalid bus option "redis": "redis://u:***@127.0.0.1:notaport" has a port that is not a number ("notaport"). ' +
        `${FORM}, e.g. redis://127.0.0.1:6379/0; for a Unix socket or other connection options, pass an ioredis client ` +
        'instead (new Redis({ path, … })).',
    );
    expect(error.message).not.toContain('secret');
    expect(refusal('redis://127.0.0.1:99999').message).toContain(
      'has a port out of range (99999; ports are 1 to 65535)',
    );
    expect(refusal('redis://127.0.0.1:0').message).toContain('has port 0');
  });

  it('refuses another scheme, a missing host, a path that is not a database, and text that is not a URL', () => {
    expect(refusal('http://nope').message).toContain(
      '"http://nope" starts with http:// instead of redis:// or rediss://',
    );
    expect(refusal('redis:/127.0.0.1').message).toContain('does not start with redis:// or rediss://');
    expect(refusal('redis://:secret@/0').message).toContain('"redis://:***@/0" names no host');
    expect(refusal('redis://').message).toContain('names no host');
    expect(refusal('redis://127.0.0.1/cache').message).toContain('has "/cache" as its path, not a database number');
    expect(refusal('localhost:6379').message).toContain('"localhost:6379" does not start with redis:// or rediss://');
    expect(refusal('redis://cache internal').message).toContain('"redis://cache internal" is not a valid URL');
    expect(refusal('').message).toContain('is empty');
    expect(refusal('redis://u:secret@cache internal').message).toContain('"redis://u:***@cache internal"');
  });

  it('hides the password of what it shows', () => {
    expect(redactRedisUrl('redis://u:secret@h:1/0')).toBe('redis://u:***@h:1/0');
    expect(redactRedisUrl('redis://:se@cret@h')).toBe('redis://:***@h');
    expect(redactRedisUrl('redis://secret@h')).toBe('redis://***@h');
    expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
  });

  it('is checked when the bus is built, before it connects', () => {
    const registry = busConformanceRegistry();
    for (const redis of ['redis://u:secret@127.0.0.1:notaport', 'http://nope']) {
      expect(() => new RedisEventBus({ redis, registry, onError: () => {} }), redis).toThrow(BusConfigurationError);
    }
  });
});
