import type { AppendResult } from '../event-store.js';

/** What a server store hands its group commit for each append, whatever else the database needs. */
export interface GroupCommitMember {
  /** Sort key: members of one batch take their stream locks in stream-id order. */
  readonly streamId: string;
  /** The append on its own, in a transaction of its own, exactly as without group commit. */
  readonly alone: () => Promise<AppendResult>;
}

/** A member in the queue, with the way to hand it its outcome. */
export type GroupCommitWaiting<M extends GroupCommitMember> = M & {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
};

/**
 * More members would make a batch's round trip, and the time it holds every stream lock of the
 * batch until the shared commit, longer.
 */
const MAX_BATCH = 64;
/**
 * Batches on the server at once: while one is written, the next forms (and the two can use two
 * cores). More flights mean smaller batches.
 */
export const GROUP_COMMIT_FLIGHTS = 2;

/**
 * The scheduling that the server stores' group commits share (PostgreSQL, MariaDB): appends made
 * outside a transaction that arrive while another is being written wait, and go together as the
 * next batch, so one commit covers all of them. How a batch is written is the store's
 * ({@link writeBatch}).
 *
 * - An append that finds nothing in flight is written at once, on its own, exactly as without
 *   group commit (one writer: no added latency, no timer). Appends arriving meanwhile queue; when
 *   the flight lands they go as the next batch. While batches keep forming (the last one had
 *   more than one member), the next one waits for the current turn of the event loop, so
 *   writers woken by the same commit join the same batch.
 * - At most {@link GROUP_COMMIT_FLIGHTS} flights at once, each of at most 64 members, sorted by
 *   stream id (a stable sort: members of one stream keep their order of arrival).
 * - A flight ends before its writers hear back, so a lone writer's next append finds nothing in
 *   flight and goes at once.
 */
export abstract class GroupCommitQueue<M extends GroupCommitMember> {
  #queue: GroupCommitWaiting<M>[] = [];
  readonly #flights = new Set<Promise<void>>();
  #scheduled = false;
  #lastSize = 0;
  #closed = false;
  /** Members accepted and not yet answered (queued, in a batch, requeued or written alone). */
  readonly #unanswered = new Set<Promise<unknown>>();

  /** Queues `member`; resolves with its outcome once it has committed (or failed). */
  append(member: M): Promise<AppendResult> {
    const outcome = this.#quiet()
      ? this.#flyAlone(member)
      : new Promise<AppendResult>((resolve, reject) => {
          this.#queue.push({ ...member, resolve, reject });
          this.#pump();
        });
    this.#unanswered.add(outcome);
    const answered = () => void this.#unanswered.delete(outcome);
    outcome.then(answered, answered);
    return outcome;
  }

  /**
   * Waits until every member accepted so far has its outcome (the queued ones are still written,
   * in batches as usual), so none is left to run after the store shuts its connections. Appends
   * after that go alone.
   */
  async close(): Promise<void> {
    while (this.#unanswered.size > 0 || this.#flights.size > 0) {
      await Promise.allSettled([...this.#unanswered, ...this.#flights]);
    }
    this.#closed = true;
  }

  /**
   * Writes `batch` (two or more members, sorted by stream id) in one shared transaction and hands
   * each member its outcome, or passes it to {@link alone} or back to {@link requeue}. The flight
   * lasts until the promise settles; a rejection fails every member not yet answered.
   */
  protected abstract writeBatch(batch: GroupCommitWaiting<M>[]): Promise<void>;

  /** Puts members back at the head of the queue, to go in the next batch. */
  protected requeue(members: readonly GroupCommitWaiting<M>[]): void {
    this.#queue.unshift(...members);
    this.#pump();
  }

  /** Writes `member` on its own and hands it the outcome. */
  protected async alone(member: GroupCommitWaiting<M>): Promise<void> {
    try {
      member.resolve(await member.alone());
    } catch (error) {
      member.reject(error);
    }
  }

  /**
   * Starts a flight when one may go: at once when the store is quiet (nothing in flight and the
   * last flight alone), else after this turn of the event loop, so that the writers woken by the
   * same commit join one batch.
   */
  #pump(): void {
    if (this.#scheduled || this.#queue.length === 0 || this.#flights.size >= GROUP_COMMIT_FLIGHTS) return;
    if (this.#flights.size === 0 && this.#lastSize <= 1) return this.#fly();
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#queue.length > 0 && this.#flights.size < GROUP_COMMIT_FLIGHTS) this.#fly();
    });
  }

  /** Nothing queued, scheduled or in flight, and the last flight went alone: {@link #pump} would fly a new member alone at once. */
  #quiet(): boolean {
    return this.#flights.size === 0 && this.#queue.length === 0 && !this.#scheduled && this.#lastSize <= 1;
  }

  /**
   * {@link #fly} for a member that finds the store {@link #quiet}, without queueing it: its own
   * append is the flight, and the outcome goes straight back to the writer. The flight ends
   * before the writer hears back (this callback is registered first), as in {@link #fly}.
   */
  #flyAlone(member: M): Promise<AppendResult> {
    this.#lastSize = 1;
    let outcome: Promise<AppendResult>;
    try {
      outcome = member.alone();
    } catch (error) {
      outcome = Promise.reject(error); // as a flight fails its member: through the promise
    }
    const land = () => {
      this.#flights.delete(flight);
      this.#pump();
    };
    const flight: Promise<void> = outcome.then(land, land);
    this.#flights.add(flight);
    return outcome;
  }

  #fly(): void {
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#lastSize = batch.length;
    const landed =
      batch.length === 1 || this.#closed ? this.#aloneFlight(batch) : this.#batch(batch).then(() => () => undefined);
    const flight: Promise<void> = landed
      .catch((error: unknown) => () => batch.forEach((member) => member.reject(error)))
      .then((settle) => {
        // The flight ends before its writers hear back, so a lone writer's next append finds
        // nothing in flight and goes at once.
        this.#flights.delete(flight);
        settle();
        this.#pump();
      });
    this.#flights.add(flight);
    this.#pump();
  }

  /** Members written on their own as a flight; returns how to hand out their outcomes. */
  async #aloneFlight(batch: GroupCommitWaiting<M>[]): Promise<() => void> {
    const outcomes = await Promise.allSettled(batch.map((member) => member.alone()));
    return () =>
      outcomes.forEach((outcome, i) =>
        outcome.status === 'fulfilled' ? batch[i]!.resolve(outcome.value) : batch[i]!.reject(outcome.reason),
      );
  }

  async #batch(batch: GroupCommitWaiting<M>[]): Promise<void> {
    // A stable sort: members of one stream keep their order of arrival.
    batch.sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
    await this.writeBatch(batch);
  }
}
