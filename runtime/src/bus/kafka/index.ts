export { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.js';
export { KafkaSubscription } from './kafka-subscription.js';
export { KafkaHeader } from './kafka-codec.js';
export { coPartitionedAssigner, kafkaTopics, type KafkaTopics } from './kafka-names.js';
