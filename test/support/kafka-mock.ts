/**
 * Where the Kafka bus tests run. With `KAFKA_BROKERS` set: that cluster, and the whole suite
 * runs. Otherwise, when `kcat` is installed: librdkafka's in-memory mock cluster, a Kafka-protocol
 * test double that kcat starts with `-X test.mock.num.brokers=1` (it prints the mock's
 * 127.0.0.1 port and keeps it alive while kcat runs). Otherwise the suite is skipped with the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export type KafkaTestTarget =
  | { readonly kind: 'cluster' | 'mock'; readonly brokers: string[]; stop(): Promise<void> }
  | { readonly kind: 'none'; readonly reason: string };

export async function kafkaTestTarget(): Promise<KafkaTestTarget> {
  const configured = process.env['KAFKA_BROKERS'];
  if (configured) return { kind: 'cluster', brokers: configured.split(',').map((b) => b.trim()), stop: async () => {} };
  if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0) {
    return {
      kind: 'none',
      reason: 'KAFKA_BROKERS is not set and kcat (which carries librdkafka’s mock Kafka cluster) is not installed',
    };
  }
  const child = spawn(
    'kcat',
    ['-b', 'ignored:9092', '-X', 'test.mock.num.brokers=1', '-C', '-t', '__eventsmith_mock_keepalive', '-q'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const port = await mockPort(child);
  return {
    kind: 'mock',
    brokers: [`127.0.0.1:${port}`],
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

function mockPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat did not report the mock cluster's port within 10 s; it said: ${output}`));
    }, 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /replaced with 127\.0\.0\.1:(\d+)/.exec(output) ?? /127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kcat exited (${code}) before starting the mock cluster: ${output}`));
    });
  });
}

/**
 * The mock cluster's coordinator (librdkafka 2.0) completes a group's sync as soon as the leader's
 * SyncGroup carries every member's assignment, and answers a follower whose SyncGroup arrives after
 * that with INVALID_REQUEST, which kafkajs treats as fatal. A real broker waits for every member.
 * On a loaded machine the follower is sometimes late, so on the mock only, a subscription whose
 * start() failed that way starts again (a new member that joins the group as it is now).
 */
export function retryMockSyncRace<Bus extends { subscribe(...args: any[]): { start(): Promise<void> } }>(
  target: KafkaTestTarget,
  bus: Bus,
  onRetry: (error: unknown) => void = () => {},
): Bus {
  if (target.kind !== 'mock') return bus;
  const subscribe = bus.subscribe.bind(bus);
  bus.subscribe = (...args: any[]) => {
    const subscription = subscribe(...args);
    const start = subscription.start.bind(subscription);
    subscription.start = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await start();
        } catch (error) {
          if (attempt >= 3 || !isInvalidRequest(error)) throw error;
          onRetry(error);
        }
      }
    };
    return subscription;
  };
  return bus;
}

function isInvalidRequest(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { type?: unknown }).type === 'INVALID_REQUEST') return true;
  }
  return false;
}
