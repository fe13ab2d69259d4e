export { RabbitMqEventBus, type RabbitMqEventBusOptions } from './rabbitmq-event-bus.js';
export { RabbitMqSubscription } from './rabbitmq-subscription.js';
export { RabbitMqTopologyError, RabbitMqUnavailableError } from './rabbitmq-errors.js';
export { rabbitMqNames, partitionOf, type RabbitMqNames } from './rabbitmq-names.js';
export { RabbitMqHeader } from './rabbitmq-codec.js';
