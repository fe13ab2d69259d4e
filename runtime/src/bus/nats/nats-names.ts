import { createHash } from 'node:crypto';

/**
 * Names of a NATS bus's JetStream resources, for stream `S`:
 *
 * - stream `S`, subjects `S.events.<partition>.<target>.<aggregateType>.<aggregateId>`, where
 *   target is `all` (published events) or `r-<group>` (a dead letter replayed for one group);
 * - stream `S_DLQ`, subjects `S.dead.<group>` (never trimmed);
 * - key-value bucket `S_leases` (partition leases and member heartbeats, with a TTL);
 * - durable pull consumers `<group>_<hash>_p<partition>`, one per group and partition.
 */
export class NatsNames {
  constructor(readonly stream: string) {}

  get deadLetterStream(): string {
    return `${this.stream}_DLQ`;
  }
  get leaseBucket(): string {
    return `${this.stream}_leases`;
  }
  eventSubjects(): string {
    return `${this.stream}.events.>`;
  }
  partitionSubjects(partition: number): string {
    return `${this.stream}.events.${partition}.>`;
  }
  eventSubject(partition: number, target: string, aggregateType: string, aggregateId: string): string {
    return `${this.stream}.events.${partition}.${target}.${token(aggregateType)}.${token(aggregateId)}`;
  }
  replayTarget(group: string): string {
    return `r-${token(group)}`;
  }
  deadLetterSubject(group: string): string {
    return `${this.stream}.dead.${token(group)}`;
  }
  deadLetterSubjects(): string {
    return `${this.stream}.dead.>`;
  }
  durable(group: string, partition: number): string {
    const hash = createHash('sha1').update(group).digest('hex').slice(0, 6);
    return `${group.replace(/[^A-Za-z0-9_-]/g, '_')}_${hash}_p${partition}`;
  }
}

/** A subject token: no `.`, `*`, `>` or whitespace (percent-encoded), never empty. */
function token(text: string): string {
  const encoded = text.replace(/[^A-Za-z0-9_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return encoded === '' ? '_' : encoded;
}
