import type pg from 'pg';

/**
 * Sends `NOTIFY channel` after appends commit, coalesced: while one notification is on its way,
 * any number of further commits ask for just one more, sent once it is done. So every commit is
 * followed by a notification sent after it, at most one statement is in flight per store, and the
 * append's own transaction never takes PostgreSQL's notify-queue lock (which serialises the
 * commits of notifying transactions; notifying inside each append cost concurrent writers ~2.5×).
 *
 * A notification that fails (or a process that dies between commit and notify) only delays
 * listeners until their next poll; subscriptions always poll as a fallback.
 */
export class PostgresAppendNotifier {
  readonly #pool: pg.Pool;
  readonly #channel: string;
  #sending = false;
  #again = false;

  constructor(pool: pg.Pool, channel: string) {
    this.#pool = pool;
    this.#channel = channel;
  }

  /** Call after a transaction that appended has committed. */
  committed(): void {
    if (this.#sending) {
      this.#again = true;
      return;
    }
    this.#sending = true;
    void this.#send();
  }

  async #send(): Promise<void> {
    do {
      this.#again = false;
      await this.#pool.query('select pg_notify($1, $2)', [this.#channel, '']).catch(() => undefined);
    } while (this.#again);
    this.#sending = false;
  }
}
