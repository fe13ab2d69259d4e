import { EventsmithError } from '../../errors.js';
import { BusUnavailableError, type BusUnavailableReason } from '../bus-errors.js';

/**
 * The RabbitMQ broker cannot be used: unreachable, or it refused the login, the virtual host or
 * the TLS handshake (`reason`). The message never contains credentials.
 */
export class RabbitMqUnavailableError extends BusUnavailableError {
  constructor(url: string, detail: string, options?: { cause?: unknown }) {
    const reason = rabbitMqReason(detail);
    super('RabbitMQ', redact(url), reason, detail.trim(), options);
  }
}

/** What an amqplib connection error means. */
function rabbitMqReason(detail: string): BusUnavailableReason {
  if (/ACCESS[-_]REFUSED|\b403\b/.test(detail)) return 'authentication';
  // The broker closes the connection instead of opening it: an unknown vhost or one the user may not use.
  if (/ConnectionOpenOk|NOT[-_]ALLOWED|vhost/i.test(detail)) return 'virtual-host';
  if (/SSL routines|wrong version number|certificate|EPROTO|TLS/i.test(detail)) return 'ssl';
  return 'unreachable';
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
