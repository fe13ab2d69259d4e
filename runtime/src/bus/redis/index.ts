export * from './redis-event-bus.js';
export { RedisKeys } from './redis-names.js';
