import { spawnSync } from 'node:child_process';
import { isCI, probe, serviceUrl, type ServiceName } from './probe.js';

const SERVICES: ServiceName[] = ['postgres', 'mysql', 'redis', 'rabbitmq', 'nats', 'kafka'];

/** Prints which services the run can reach, so skipped suites are never a surprise. */
export default async function setup(): Promise<void> {
  const results = await Promise.all(SERVICES.map(async (name) => [name, await probe(name)] as const));
  const lines = results.map(([name, reason]) => {
    if (reason === undefined) return `  ✓ ${name.padEnd(9)} ${serviceUrl(name)}`;
    if (name === 'kafka' && serviceUrl('kafka') === undefined) {
      return spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0
        ? `  ~ kafka     KAFKA_BROKERS is not set: Kafka suites run on librdkafka's mock cluster (kcat), a test double`
        : `  ✗ kafka     suites skipped: KAFKA_BROKERS is not set and kcat (librdkafka's mock cluster) is not installed`;
    }
    return `  ✗ ${name.padEnd(9)} ${isCI ? 'REQUIRED under CI=true' : 'suites skipped'}: ${reason}`;
  });
  console.log(`\nServices for this run:\n${lines.join('\n')}\n`);
}
