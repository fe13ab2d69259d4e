import type { Admin, PartitionAssigner } from 'kafkajs';
import { kafkajs } from './kafka-driver.js';

/**
 * Topic names of a Kafka bus. Events go to one topic, keyed by aggregate; each consumer group has
 * a retry topic (same partition count, so an aggregate's retries land in the partition that
 * matches its main partition) and a compacted dead-letter topic.
 *
 * @example
 * ```ts
 * const topics = kafkaTopics('shop.events');
 * topics.retry('billing');      // 'shop.events.billing.retry'
 * topics.deadLetters('billing'); // 'shop.events.billing.dlq'
 * ```
 */
export interface KafkaTopics {
  readonly main: string;
  retry(group: string): string;
  deadLetters(group: string): string;
  /** The Kafka consumer group id of an eventsmith group. */
  groupId(group: string): string;
}

export function kafkaTopics(main: string): KafkaTopics {
  return {
    main,
    retry: (group) => `${main}.${group}.retry`,
    deadLetters: (group) => `${main}.${group}.dlq`,
    groupId: (group) => `${main}.${group}`,
  };
}

/**
 * Creates missing topics. The retry topic gets the main topic's partition count. Brokers that
 * refuse CreateTopics (test doubles, locked-down clusters) fall back on topic auto-creation,
 * whose default partition count is then the same for every topic.
 */
export async function ensureTopics(
  admin: Admin,
  topics: readonly { topic: string; compact?: boolean }[],
  partitions: number,
): Promise<void> {
  const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  await admin
    .createTopics({
      waitForLeaders: true,
      topics: missing.map(({ topic, compact }) => ({
        topic,
        numPartitions: partitions,
        ...(compact ? { configEntries: [{ name: 'cleanup.policy', value: 'compact' }] } : {}),
      })),
    })
    .catch(() => false);
}

/**
 * An assigner that gives partition `p` of every subscribed topic to the same member, so the main
 * and retry partitions of an aggregate are consumed by one process, which keeps the per-aggregate
 * hold state (see AggregateHolds) in one place.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'EventsmithCoPartitionedAssigner',
  version: 0,
  async assign({ members, topics }) {
    const sorted = members.map((m) => m.memberId).sort();
    const assignment = new Map<string, Record<string, number[]>>(sorted.map((id) => [id, {}]));
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const member = assignment.get(sorted[partitionId % sorted.length]!)!;
        (member[topic] ??= []).push(partitionId);
      }
    }
    return sorted.map((memberId) => ({
      memberId,
      memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: assignment.get(memberId)!,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'EventsmithCoPartitionedAssigner',
      metadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
