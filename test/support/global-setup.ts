import { isCI, probe, serviceUrl, type ServiceName } from './probe.js';

const SERVICES: ServiceName[] = ['postgres', 'mysql', 'redis', 'rabbitmq', 'nats', 'kafka'];

/** Prints which services the run can reach, so skipped suites are never a surprise. */
export default async function setup(): Promise<void> {
  const results = await Promise.all(SERVICES.map(async (name) => [name, await probe(name)] as const));
  const lines = results.map(([name, reason]) =>
    reason === undefined
      ? `  ✓ ${name.padEnd(9)} ${serviceUrl(name)}`
      : `  ✗ ${name.padEnd(9)} ${isCI && name !== 'kafka' ? 'REQUIRED under CI=true' : 'suites skipped'}: ${reason}`,
  );
  console.log(`\nServices for this run:\n${lines.join('\n')}\n`);
}
