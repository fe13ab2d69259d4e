import type { AppendResult } from '../event-store.js';
import type { PreparedAppend } from '../sql/prepare-append.js';
import { appendOnConnection } from './sqlite-append.js';
import type { SqliteStoreConnection, SqliteStoreDriver } from './sqlite-dialect.js';

interface Member {
  readonly append: PreparedAppend;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: unknown };

const MEMBER_SAVEPOINT = 'eventsmith_group_member';

/**
 * Settled: `then` on it queues its callback behind the microtasks queued so far, as
 * `queueMicrotask` does, without the async resource Node makes for each of those (~0.5 µs of a
 * single-event append's CPU in a profile of the bench's W1).
 */
const RESOLVED = Promise.resolve();

/**
 * Group commit on the SQLite writer: appends that arrive while the writer connection is busy (a
 * commit syncing the log, a transaction, another batch) wait together and are then written in
 * one transaction with one commit, so they share one sync of the write-ahead log instead of paying
 * one each. Each append runs under its own savepoint with its own version check, in arrival
 * order: one that fails (a conflict, a duplicate event id, a tenant mismatch) is rolled back to
 * its savepoint and gets its own error, and the others commit, exactly as if each had run alone,
 * one after the other. An append that finds the writer free runs alone at once, in the caller's
 * own call (see {@link SqliteGroupCommit.mayWriteNow}), as without group commit. If the
 * transaction itself is lost (SQLite rolls it back on I/O errors or a full disk) or the commit
 * fails, every append of the batch runs again alone, so each still gets the outcome it would
 * have had alone. Results are handed out only after the commit.
 */
export class SqliteGroupCommit {
  readonly #writer: SqliteStoreDriver;
  readonly #storeId: string;
  #queue: Member[] = [];
  /** An append was written at once in this turn (until the microtasks queued in it have run). */
  #wroteNow = false;
  readonly #wroteNowEnded = () => void (this.#wroteNow = false);
  /** A batch was written in this turn of the event loop (until its next check phase). */
  #batched = false;
  readonly #batchedEnded = () => void (this.#batched = false);

  constructor(writer: SqliteStoreDriver, storeId: string) {
    this.#writer = writer;
    this.#storeId = storeId;
  }

  /**
   * Whether the caller may write an append at once, alone, in its own call: the writer is free
   * (nobody holds it, nobody waits for it) and no other append was written so in this turn. The
   * second append made in one turn (several appends started together, `Promise.all`) goes
   * through {@link append}, and the ones made after it join its batch, as without this path.
   */
  mayWriteNow(): boolean {
    if (this.#wroteNow || this.#batched || !this.#writer.free) return false;
    this.#wroteNow = true;
    void RESOLVED.then(this.#wroteNowEnded);
    return true;
  }

  /** Writes `append` in the next batch; resolves once it has committed. */
  append(append: PreparedAppend): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      // The first of a batch asks for the writer; the ones arriving until it has it join in.
      if (this.#queue.length === 1) {
        this.#writer
          .exclusive((connection) => this.#flush(connection))
          .catch((error: unknown) => {
            for (const member of this.#take()) member.reject(error);
          });
      }
    });
  }

  #take(): Member[] {
    const batch = this.#queue;
    this.#queue = [];
    return batch;
  }

  #flush(connection: SqliteStoreConnection): void {
    const batch = this.#take();
    // Concurrent writers: the members' next appends, made as their results arrive (a few
    // microtasks apart), wait for the writer and form the next batch, as before there was a path
    // that writes at once; one written at once in between would cost a commit of its own.
    if (!this.#batched) {
      this.#batched = true;
      setImmediate(this.#batchedEnded).unref();
    }
    if (batch.length === 1) return settle(batch[0]!, this.#alone(connection, batch[0]!.append));
    const outcomes = this.#together(connection, batch);
    if (outcomes) {
      for (let i = 0; i < batch.length; i++) settle(batch[i]!, outcomes[i]!);
    } else {
      for (const member of batch) settle(member, this.#alone(connection, member.append));
    }
  }

  /** One append in its own transaction: the path of an append without group commit. */
  #alone(connection: SqliteStoreConnection, append: PreparedAppend): Outcome {
    try {
      connection.run('begin immediate');
      try {
        const result = appendOnConnection(connection, this.#storeId, append);
        connection.run('commit');
        return { ok: true, result };
      } catch (error) {
        if (connection.database.inTransaction) connection.run('rollback');
        throw error;
      }
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * The batch in one transaction, each append under a savepoint; undefined when the transaction
   * could not be kept to its commit (nothing of it is written then).
   */
  #together(connection: SqliteStoreConnection, batch: readonly Member[]): Outcome[] | undefined {
    const outcomes: Outcome[] = [];
    try {
      connection.run('begin immediate');
    } catch {
      return undefined; // e.g. another process holds the lock past the busy timeout: each alone says so
    }
    try {
      for (const { append } of batch) {
        connection.run(`savepoint ${MEMBER_SAVEPOINT}`);
        try {
          const result = appendOnConnection(connection, this.#storeId, append);
          connection.run(`release ${MEMBER_SAVEPOINT}`);
          outcomes.push({ ok: true, result });
        } catch (error) {
          if (!connection.database.inTransaction) return undefined; // SQLite rolled it all back
          connection.run(`rollback to ${MEMBER_SAVEPOINT}`);
          connection.run(`release ${MEMBER_SAVEPOINT}`);
          outcomes.push({ ok: false, error });
        }
      }
      connection.run('commit');
      return outcomes;
    } catch {
      if (connection.database.inTransaction) connection.run('rollback');
      return undefined;
    }
  }
}

function settle(member: Member, outcome: Outcome): void {
  if (outcome.ok) member.resolve(outcome.result);
  else member.reject(outcome.error);
}
