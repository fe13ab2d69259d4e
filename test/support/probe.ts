/** Service URLs and reachability probes. No vitest imports: global-setup uses this file too. */
import { connect } from 'node:net';

export type ServiceName = 'postgres' | 'mysql' | 'redis' | 'rabbitmq' | 'nats' | 'kafka';

const DEFAULTS: Record<Exclude<ServiceName, 'kafka'>, { env: string; url: string }> = {
  postgres: { env: 'POSTGRES_URL', url: 'postgres://postgres@127.0.0.1:5432/test' },
  mysql: { env: 'MYSQL_URL', url: 'mysql://root@127.0.0.1:3306/test' },
  redis: { env: 'REDIS_URL', url: 'redis://127.0.0.1:6379' },
  rabbitmq: { env: 'AMQP_URL', url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { env: 'NATS_URL', url: 'nats://127.0.0.1:4222' },
};

/** The URL of a service (Kafka: the comma-separated broker list, or undefined when unset). */
export function serviceUrl(name: ServiceName): string | undefined {
  if (name === 'kafka') return process.env['KAFKA_BROKERS'] || undefined;
  const { env, url } = DEFAULTS[name];
  return process.env[env] || url;
}

/** Host and port of a service URL. */
export function hostPort(url: string, fallbackPort: number): { host: string; port: number } {
  const first = url.split(',')[0]!;
  const parsed = new URL(first.includes('://') ? first : `tcp://${first}`);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || fallbackPort) };
}

const PORTS: Record<ServiceName, number> = {
  postgres: 5432,
  mysql: 3306,
  redis: 6379,
  rabbitmq: 5672,
  nats: 4222,
  kafka: 9092,
};

/** Resolves to `undefined` if a TCP connection succeeds, or to the reason it did not. */
export function probe(name: ServiceName, timeoutMs = 1500): Promise<string | undefined> {
  const url = serviceUrl(name);
  if (url === undefined) return Promise.resolve('KAFKA_BROKERS is not set');
  const { host, port } = hostPort(url, PORTS[name]);
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`${error.code ?? error.message} at ${host}:${port}`));
  });
}

export const isCI = process.env['CI'] === 'true' || process.env['CI'] === '1';
