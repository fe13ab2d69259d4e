import type { Msg, MsgHdrs, NatsConnection, Subscription } from 'nats';
import { nats } from './nats-driver.js';

const { createInbox, ErrorCode, NatsError } = nats;

/** One message of a {@link NatsPublisher.publish} call. */
export interface NatsOutgoing {
  readonly subject: string;
  readonly body: string;
  /** Its headers, `Nats-Msg-Id` included (the stream deduplicates on it). */
  readonly headers: MsgHdrs;
}

interface Batch {
  /** Token of its first message; its messages have consecutive tokens. */
  readonly first: number;
  readonly count: number;
  left: number;
  done: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Publishes to JetStream and waits for the stream's acknowledgements, which come back on one
 * inbox subscription (`<inbox>.<token>`).
 *
 * This is what `JetStreamClient.publish` does, without a request per message: nats.js gives each
 * request a timer, a promise race and two captured stack traces (its timeout error and its
 * context, unless the connection was made with `noAsyncTraces`; the traces alone cost 351 vs
 * 199 ms of client CPU per 10,000 raw publishes). Here a batch has one timer and no trace: the
 * bus's client CPU for 10,000 events published in batches of 100 went from 432 to 134 ms
 * (6 alternating rounds). The failures are the same: an error acknowledgement (now with the
 * stream's description, e.g. "maximum messages exceeded", where nats.js said "503"), no
 * responders (no stream for the subject), no acknowledgement within the timeout (e.g. lost with a
 * dropped connection), and a closed connection.
 */
export class NatsPublisher {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<number, Batch>();
  #sub: Subscription | undefined;
  #inbox = '';
  #next = 0;
  #closing = false;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
  }

  /** Publishes in order; resolves once every message is stored, rejects at the first failure. */
  publish(messages: readonly NatsOutgoing[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const batch: Batch = {
        first: this.#next + 1,
        count: messages.length,
        left: messages.length,
        done: false,
        timer: undefined,
        resolve,
        reject,
      };
      try {
        const inbox = this.#subscribe();
        for (const m of messages) {
          const token = ++this.#next;
          this.#waiting.set(token, batch);
          this.#nc.publish(m.subject, m.body, { reply: `${inbox}${token}`, headers: m.headers });
        }
      } catch (error) {
        this.#fail(batch, error);
        return;
      }
      batch.timer = setTimeout(() => this.#fail(batch, NatsError.errorForCode(ErrorCode.Timeout)), this.#timeoutMs);
    });
  }

  /** Stops listening for acknowledgements once the publishes already made are settled. */
  close(): void {
    this.#closing = true;
    this.#settled();
  }

  #subscribe(): string {
    if (this.#sub) return this.#inbox;
    // The connection's inbox prefix, as its own requests use (a server may allow no other).
    const prefix = (this.#nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    this.#inbox = `${createInbox(prefix)}.`;
    const sub = this.#nc.subscribe(`${this.#inbox}*`, {
      callback: (error, msg) => {
        if (error) this.#closed(sub, error);
        else this.#acknowledged(msg);
      },
    });
    this.#sub = sub;
    void sub.closed.then(() => this.#closed(sub));
    return this.#inbox;
  }

  #acknowledged(msg: Msg): void {
    const token = Number(msg.subject.slice(this.#inbox.length));
    const batch = this.#waiting.get(token);
    if (!batch) return;
    this.#waiting.delete(token);
    const problem = ackProblem(msg);
    if (problem) this.#fail(batch, problem);
    else if (--batch.left === 0 && !batch.done) {
      batch.done = true;
      clearTimeout(batch.timer);
      batch.resolve();
      this.#settled();
    }
  }

  #fail(batch: Batch, error: unknown): void {
    if (batch.done) return;
    batch.done = true;
    clearTimeout(batch.timer);
    for (let token = batch.first; token < batch.first + batch.count; token++) this.#waiting.delete(token);
    batch.reject(error);
    this.#settled();
  }

  /** After close, unsubscribes once nothing waits (a publish made later subscribes again). */
  #settled(): void {
    if (!this.#closing || this.#waiting.size > 0 || !this.#sub) return;
    const sub = this.#sub;
    this.#sub = undefined;
    sub.unsubscribe();
  }

  /** The subscription ended (the connection closed): nothing waiting will be acknowledged. */
  #closed(sub: Subscription | undefined, error?: unknown): void {
    if (sub === undefined || this.#sub !== sub) return;
    this.#sub = undefined;
    const batches = new Set(this.#waiting.values());
    this.#waiting.clear();
    for (const batch of batches) this.#fail(batch, error ?? NatsError.errorForCode(ErrorCode.ConnectionClosed));
  }
}

/** Why an acknowledgement is not one, as `JetStreamClient.publish` would say; undefined if it is. */
function ackProblem(msg: Msg): Error | undefined {
  if (msg.data.length === 0 && msg.headers?.code === 503) return NatsError.errorForCode(ErrorCode.NoResponders);
  let ack: { stream?: string; error?: { code: number; description: string } };
  try {
    ack = msg.json();
  } catch (error) {
    return error as Error;
  }
  if (ack.error) return new NatsError(ack.error.description, String(ack.error.code));
  if (!ack.stream) return NatsError.errorForCode(ErrorCode.JetStreamInvalidAck);
  return undefined;
}
