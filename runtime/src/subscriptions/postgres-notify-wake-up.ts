import { sql, type Kysely } from 'kysely';
import type { AppendHooks } from './append-hooks.js';
import type { WakeUpSource } from './wake-up.js';

/** Default channel the hooks notify and the wake-up listens on. */
export const DEFAULT_NOTIFY_CHANNEL = 'eventsmith_events';

/** The part of a `pg.Client` the wake-up uses (pass `() => new pg.Client(url)`). */
export interface NotificationClient {
  connect(): Promise<unknown>;
  query(text: string): Promise<unknown>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  end(): Promise<void>;
}

export interface PostgresNotifyWakeUpOptions {
  /** Opens a dedicated connection, e.g. `() => new pg.Client({ connectionString: url })`. */
  readonly connect: () => NotificationClient;
  readonly channel?: string;
  /** Delay before reconnecting after the connection drops. Default 1000 ms. */
  readonly reconnectMs?: number;
}

/**
 * Wakes subscriptions on PostgreSQL `NOTIFY`. It keeps one connection in `LISTEN` and reconnects
 * when it drops (waking everyone once, since notifications may have been missed meanwhile).
 * Every `PostgresEventStore`, in any process, notifies `'eventsmith_events'` (the store's
 * `notifyChannel` option) after its appends commit: at once after a quiet spell, and at most once
 * per `notifyIntervalMs` under a steady stream of commits, always once after the last one. So a
 * woken reader sees the events that woke it.
 *
 * @example
 * ```ts
 * const store = await PostgresEventStore.open({ url, registry });
 * const wakeUp = new PostgresNotifyWakeUp({ connect: () => new pg.Client({ connectionString: url }) });
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters, wakeUps: [wakeUp] });
 * ```
 */
export class PostgresNotifyWakeUp implements WakeUpSource {
  readonly #options: PostgresNotifyWakeUpOptions;
  readonly #channel: string;
  #client: NotificationClient | undefined;
  #stopped = true;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: PostgresNotifyWakeUpOptions) {
    this.#options = options;
    this.#channel = options.channel ?? DEFAULT_NOTIFY_CHANNEL;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(this.#channel))
      throw new RangeError(`Invalid NOTIFY channel name "${this.#channel}".`);
  }

  async start(wake: () => void): Promise<void> {
    this.#stopped = false;
    await this.#listen(wake, true);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #listen(wake: () => void, initial: boolean): Promise<void> {
    const client = this.#options.connect();
    let lost = false;
    const reconnect = () => {
      if (lost || this.#stopped) return;
      lost = true;
      this.#client = undefined;
      void client.end().catch(() => undefined);
      this.#timer = setTimeout(() => void this.#listen(wake, false), this.#options.reconnectMs ?? 1000);
    };
    client.on('notification', (message: { channel?: string }) => {
      if (message.channel === this.#channel) wake();
    });
    client.on('error', reconnect);
    client.on('end', reconnect);
    try {
      await client.connect();
      // Quoted, so the name keeps its case, as the store's NOTIFY "channel" and pg_notify() send it.
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      if (initial) {
        lost = true;
        await client.end().catch(() => undefined);
        throw error;
      }
      reconnect();
      return;
    }
    this.#client = client;
    if (!initial) wake(); // notifications may have been missed while disconnected
  }
}

/**
 * Append hooks that send `NOTIFY <channel>` inside each appending transaction (use with
 * `withAppendHooks` on a PostgreSQL store).
 *
 * @deprecated `PostgresEventStore` now notifies on every append itself (option `notifyChannel`,
 * default `'eventsmith_events'`), so the wrapper is only needed for an extra channel.
 * @example
 * ```ts
 * const store = withAppendHooks(postgresStore, postgresNotifyHooks('other_channel'));
 * ```
 */
export function postgresNotifyHooks(channel: string = DEFAULT_NOTIFY_CHANNEL): AppendHooks {
  return {
    inTransaction: async (tx) => {
      await sql`select pg_notify(${channel}, '')`.execute(tx.sql as Kysely<any>);
    },
  };
}
