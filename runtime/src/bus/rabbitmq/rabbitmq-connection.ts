import type { ChannelModel } from 'amqplib';
import { amqp } from './rabbitmq-driver.js';
import { BusClosedError } from '../bus-errors.js';
import { RabbitMqUnavailableError } from './rabbitmq-errors.js';

export interface RabbitMqConnectionOptions {
  readonly url: string;
  /** Heartbeat in seconds; a silent peer is declared dead after about twice this. */
  readonly heartbeatSeconds: number;
  /** First wait before reconnecting, doubled per failed attempt up to `reconnectMaxDelayMs`. */
  readonly reconnectDelayMs: number;
  readonly reconnectMaxDelayMs: number;
  readonly connectionName: string;
  readonly onError: (error: unknown) => void;
}

/** Runs after every successful (re)connection; rejecting makes the connection start over. */
export type ConnectedListener = (model: ChannelModel) => Promise<void>;

/**
 * One AMQP connection that reconnects by itself. After the broker or the network drops it, it
 * reconnects with exponential backoff and runs every registered listener again, in order, so
 * publishers and subscriptions re-declare their topology and consumers.
 */
export class RabbitMqConnection {
  readonly #options: RabbitMqConnectionOptions;
  readonly #listeners = new Set<ConnectedListener>();
  #model: ChannelModel | undefined;
  #connecting: Promise<ChannelModel> | undefined;
  #waiters: { resolve: (model: ChannelModel) => void; reject: (error: unknown) => void }[] = [];
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(options: RabbitMqConnectionOptions) {
    this.#options = options;
  }

  get isConnected(): boolean {
    return this.#model !== undefined;
  }

  /** The live connection, if there is one. */
  get model(): ChannelModel | undefined {
    return this.#model;
  }

  /** Whether `model` is the live connection (not one that was lost since). */
  isCurrent(model: ChannelModel): boolean {
    return this.#model === model;
  }

  /** Connects once, failing with {@link RabbitMqUnavailableError} if the broker cannot be reached. */
  async open(): Promise<void> {
    await this.#connect();
  }

  /**
   * Adds a listener and, when connected, runs it now. Returns a function that removes it.
   */
  async addListener(listener: ConnectedListener): Promise<() => void> {
    this.#listeners.add(listener);
    const model = this.#model;
    if (model) {
      try {
        await listener(model);
      } catch (error) {
        this.#listeners.delete(listener);
        throw error;
      }
    }
    return () => this.#listeners.delete(listener);
  }

  /** The live connection, waiting for a reconnection (up to `timeoutMs`) when there is none. */
  async current(timeoutMs: number): Promise<ChannelModel> {
    if (this.#closed) throw new BusClosedError('RabbitMQ');
    if (this.#model) return this.#model;
    return new Promise<ChannelModel>((resolve, reject) => {
      const waiter = {
        resolve: (model: ChannelModel) => {
          clearTimeout(timer);
          resolve(model);
        },
        reject: (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new RabbitMqUnavailableError(this.#options.url, `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new BusClosedError('RabbitMQ'));
    const model = this.#model ?? (await this.#connecting?.catch(() => undefined));
    this.#model = undefined;
    await model?.close().catch(() => {});
  }

  async #connect(): Promise<ChannelModel> {
    this.#connecting ??= this.#establish().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #establish(): Promise<ChannelModel> {
    let model: ChannelModel;
    try {
      model = await amqp.connect(withHeartbeat(this.#options.url, this.#options.heartbeatSeconds), {
        clientProperties: { connection_name: this.#options.connectionName },
        // amqplib leaves Nagle's algorithm on; with the broker's delayed ACKs, a lone publish or
        // ack could then wait ~40 ms for the previous frame's ACK.
        noDelay: true,
      });
    } catch (error) {
      throw new RabbitMqUnavailableError(this.#options.url, (error as Error).message, { cause: error });
    }
    if (this.#closed) {
      await model.close().catch(() => {});
      throw new BusClosedError('RabbitMQ');
    }
    let dropped = false;
    model.on('error', () => {}); // 'close' follows and drives the reconnection.
    model.on('close', () => {
      dropped = true;
      this.#lost(model);
    });
    try {
      // The live set, not a copy: a listener added while this runs (a subscription starting
      // during a reconnection) is run too.
      for (const listener of this.#listeners) await listener(model);
      if (dropped) throw new RabbitMqUnavailableError(this.#options.url, 'connection lost while declaring topology');
    } catch (error) {
      model.removeAllListeners('close');
      await model.close().catch(() => {});
      throw error;
    }
    this.#model = model;
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(model);
    return model;
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return;
    this.#model = undefined;
    if (this.#closed) return;
    this.#options.onError(new RabbitMqUnavailableError(this.#options.url, 'connection lost; reconnecting'));
    this.#scheduleReconnect(this.#options.reconnectDelayMs);
  }

  #scheduleReconnect(delayMs: number): void {
    if (this.#closed) return;
    this.#reconnectTimer = setTimeout(() => {
      this.#connect().catch((error: unknown) => {
        if (this.#closed) return;
        this.#options.onError(error);
        this.#scheduleReconnect(Math.min(delayMs * 2, this.#options.reconnectMaxDelayMs));
      });
    }, delayMs);
  }
}

function withHeartbeat(url: string, heartbeatSeconds: number): string {
  const parsed = new URL(url);
  if (!parsed.searchParams.has('heartbeat')) parsed.searchParams.set('heartbeat', String(heartbeatSeconds));
  return parsed.toString();
}
