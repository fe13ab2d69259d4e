import { AssignerProtocol, type Cluster } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { coPartitionedAssigner, kafkaTopics } from './kafka-names.js';

const cluster = {
  findTopicPartitionMetadata: (topic: string) =>
    Array.from({ length: topic === 'main' || topic === 'main.g.retry' ? 6 : 0 }, (_, partitionId) => ({ partitionId })),
} as unknown as Cluster;

describe('Kafka topics', () => {
  it('names the retry and dead-letter topics and the group id after the main topic', () => {
    const topics = kafkaTopics('shop.events');
    expect(topics.retry('billing')).toBe('shop.events.billing.retry');
    expect(topics.deadLetters('billing')).toBe('shop.events.billing.dlq');
    expect(topics.groupId('billing')).toBe('shop.events.billing');
  });

  it('gives partition p of the main and retry topics to the same member', async () => {
    const assigner = coPartitionedAssigner({ cluster, groupId: 'g', logger: undefined as never });
    const members = ['member-b', 'member-a', 'member-c'].map((memberId) => ({
      memberId,
      memberMetadata: Buffer.alloc(0),
    }));
    const result = await assigner.assign({ members, topics: ['main', 'main.g.retry'] });
    const decoded = new Map(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)!.assignment]),
    );
    const all: number[] = [];
    for (const assignment of decoded.values()) {
      expect(assignment['main']).toEqual(assignment['main.g.retry']);
      all.push(...(assignment['main'] ?? []));
    }
    expect(all.sort()).toEqual([0, 1, 2, 3, 4, 5]); // every partition, once
    expect(decoded.get('member-a')!['main']).toEqual([0, 3]);
  });
});
