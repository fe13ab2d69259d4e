import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { decodeDeadLetter } from '../dead-letter-headers.js';
import type { DeadLetter } from '../event-bus.js';
import { kafkaHeaders } from './kafka-codec.js';
import type { KafkaTopics } from './kafka-names.js';

/** A dead letter plus what replaying it needs. */
export interface StoredDeadLetter {
  readonly letter: DeadLetter;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * Follows a group's dead-letter topic into memory. Dead letters are keyed by their id; replaying
 * one writes a tombstone (null value) under that id, which removes it here and, on a compacted
 * topic, from the broker eventually. The reader uses its own throwaway consumer group, so it
 * always reads the topic from the beginning.
 */
export class KafkaDeadLetterReader {
  readonly #letters = new Map<string, StoredDeadLetter>();
  /** Next offset to read, per partition. */
  readonly #positions = new Map<number, bigint>();
  readonly #topic: string;
  readonly #groupId: string;
  #consumer: Consumer | undefined;
  #starting: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: () => Promise<Admin>,
    topics: KafkaTopics,
    private readonly group: string,
  ) {
    this.#topic = topics.deadLetters(group);
    this.#groupId = `${topics.groupId(group)}.dead-letter-reader.${randomUUID()}`;
  }

  /** Dead letters, oldest first, once the reader has caught up with the topic's end. */
  async list(timeoutMs: number): Promise<StoredDeadLetter[]> {
    await (this.#starting ??= this.#start());
    const admin = await this.admin();
    const ends = await admin.fetchTopicOffsets(this.#topic);
    const deadline = Date.now() + timeoutMs;
    while (ends.some(({ partition, high }) => (this.#positions.get(partition) ?? 0n) < BigInt(high))) {
      if (Date.now() > deadline) throw new Error(`Timed out reading dead-letter topic ${this.#topic}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return [...this.#letters.values()].sort(
      (a, b) => a.letter.deadLetteredAt.getTime() - b.letter.deadLetteredAt.getTime(),
    );
  }

  /** Forgets a replayed dead letter now, before its tombstone is read back. */
  forget(id: string): void {
    this.#letters.delete(id);
  }

  async close(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (!consumer) return;
    await consumer.disconnect().catch(() => {});
    const admin = await this.admin().catch(() => undefined);
    await admin?.deleteGroups([this.#groupId]).catch(() => {});
  }

  async #start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.#groupId, allowAutoTopicCreation: true });
    this.#consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.connect();
    await consumer.subscribe({ topic: this.#topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const id = message.key?.toString('utf8');
        if (id) {
          if (message.value === null) this.#letters.delete(id);
          else {
            const headers = kafkaHeaders(message.headers);
            this.#letters.set(id, {
              letter: decodeDeadLetter(this.group, id, headers, message.value),
              value: message.value,
              headers,
            });
          }
        }
        this.#positions.set(partition, BigInt(message.offset) + 1n);
      },
    });
    await joined;
  }
}
