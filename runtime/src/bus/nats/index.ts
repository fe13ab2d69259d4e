export * from './nats-event-bus.js';
export { NatsNames } from './nats-names.js';
