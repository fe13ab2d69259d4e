import { describe, expect, it } from 'vitest';
import type { AppendResult } from '../event-store.js';
import { Position } from '../position.js';
import { GroupCommitQueue, type GroupCommitMember, type GroupCommitWaiting } from './group-commit-queue.js';

interface Member extends GroupCommitMember {
  readonly n: number;
}

const result = (n: number): AppendResult => ({ nextVersion: n, position: Position.of('test', BigInt(n)) });

/** A queue whose batches resolve each member with its number, and whose lone appends say so. */
class RecordingQueue extends GroupCommitQueue<Member> {
  readonly batches: number[][] = [];
  readonly alones: number[] = [];
  failNext: Error | undefined;

  member(streamId: string, n: number): Member {
    return {
      streamId,
      n,
      alone: () => {
        this.alones.push(n);
        return Promise.resolve(result(n));
      },
    };
  }

  protected async writeBatch(batch: GroupCommitWaiting<Member>[]): Promise<void> {
    this.batches.push(batch.map((m) => m.n));
    await Promise.resolve();
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    for (const m of batch) m.resolve(result(m.n));
  }
}

describe('GroupCommitQueue', () => {
  it('writes a lone writer alone, without waiting a turn of the event loop between its appends', async () => {
    const queue = new RecordingQueue();
    let turn = false;
    setImmediate(() => (turn = true));
    for (let n = 1; n <= 5; n++) expect((await queue.append(queue.member('s', n))).nextVersion).toBe(n);
    expect(turn).toBe(false);
    expect(queue.alones).toEqual([1, 2, 3, 4, 5]);
    expect(queue.batches).toEqual([]);
  });

  it('batches appends that arrive while one is in flight, sorted by stream id, keeping arrival order within a stream', async () => {
    const queue = new RecordingQueue();
    const appends = [
      queue.member('s', 1),
      queue.member('c', 2),
      queue.member('a', 3),
      queue.member('c', 4),
      queue.member('a', 5),
    ].map((m) => queue.append(m));
    expect((await Promise.all(appends)).map((r) => r.nextVersion)).toEqual([1, 2, 3, 4, 5]);
    expect(queue.alones).toEqual([1]);
    expect(queue.batches).toEqual([[3, 5, 2, 4]]);
  });

  it('fails every member of a batch whose write fails, and goes on with the next', async () => {
    const queue = new RecordingQueue();
    queue.failNext = new Error('lost');
    const first = queue.append(queue.member('a', 1));
    const batched = [queue.append(queue.member('b', 2)), queue.append(queue.member('c', 3))];
    expect((await first).nextVersion).toBe(1);
    const settled = await Promise.allSettled(batched);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect((await queue.append(queue.member('d', 4))).nextVersion).toBe(4);
  });

  it('waits on close for every member accepted: the flight in the air and what is queued behind it; what comes later goes alone', async () => {
    const queue = new RecordingQueue();
    const pending = [1, 2, 3].map((n) => queue.append(queue.member(`s${n}`, n)));
    await queue.close();
    expect(queue.alones).toEqual([1]);
    expect(queue.batches).toEqual([[2, 3]]);
    pending.push(queue.append(queue.member('x', 4)), queue.append(queue.member('y', 5)));
    expect((await Promise.all(pending)).map((r) => r.nextVersion)).toEqual([1, 2, 3, 4, 5]);
    expect(queue.batches).toEqual([[2, 3]]);
    expect(queue.alones).toEqual([1, 4, 5]);
  });

  it('waits on close for the members a batch handed on to be written alone after its flight landed', async () => {
    const queue = new HandingOnQueue();
    const order: string[] = [];
    const pending = [1, 2, 3].map((n) => queue.append(queue.member(`s${n}`, n)).then(() => order.push(`append ${n}`)));
    while (queue.batches.length === 0) await turn();
    await turn();
    // The batch's flight has landed; its members wait on their own. close() must wait for them.
    const closing = queue.close().then(() => order.push('closed'));
    for (let i = 0; i < 5; i++) await turn();
    expect(order).toEqual(['append 1']);
    queue.release();
    await Promise.all([...pending, closing]);
    expect(order).toEqual(['append 1', 'append 2', 'append 3', 'closed']);
  });
});

/** A queue whose batches hand every member on to be written alone (as a member that lost a race is), held until `release()`. */
class HandingOnQueue extends RecordingQueue {
  release: () => void = () => undefined;
  readonly #released = new Promise<void>((resolve) => (this.release = resolve));

  override member(streamId: string, n: number): Member {
    return {
      streamId,
      n,
      alone: async () => {
        if (n > 1) await this.#released;
        this.alones.push(n);
        return result(n);
      },
    };
  }

  protected override async writeBatch(batch: GroupCommitWaiting<Member>[]): Promise<void> {
    this.batches.push(batch.map((m) => m.n));
    for (const m of batch) void this.alone(m);
  }
}

/** One turn of the event loop. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
