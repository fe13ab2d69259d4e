import { EventsmithError } from '../../errors.js';

/** The RabbitMQ broker cannot be reached. The message never contains credentials. */
export class RabbitMqUnavailableError extends EventsmithError {
  readonly target: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    const target = redact(url);
    super(
      'BUS.UNAVAILABLE',
      `RabbitMQ at ${target} is unavailable (${reason}). Check that the broker is running and reachable; ` +
        `the bus reconnects by itself once it is.`,
      options,
    );
    this.target = target;
  }
}

/** A resource the bus declares exists with other settings (for example a queue made by an older version). */
export class RabbitMqTopologyError extends EventsmithError {
  constructor(
    readonly resource: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'BUS.TOPOLOGY',
      `RabbitMQ refused to declare "${resource}": ${reason}. The resource exists with different arguments; ` +
        `delete it (it is recreated on the next start) or use another namespace.`,
      options,
    );
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
