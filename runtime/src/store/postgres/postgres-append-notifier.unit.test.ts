import type pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PostgresAppendNotifier } from './postgres-append-notifier.js';

/** A pool whose queries finish only when the test says so. */
function controlledPool() {
  const sent: { text: string; values: unknown[]; finish: (error?: Error) => void }[] = [];
  const pool = {
    query: (text: string, values: unknown[]) =>
      new Promise<void>((resolve, reject) =>
        sent.push({ text, values, finish: (error) => (error ? reject(error) : resolve()) }),
      ),
  } as unknown as pg.Pool;
  return { pool, sent };
}

/** Lets promise continuations run without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);
const INTERVAL = 10;

describe('PostgresAppendNotifier', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('notifies the first commit after a quiet spell at once, and again after the next quiet spell', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    expect(sent).toHaveLength(1); // leading edge: sent within committed(), no timer in between
    expect(sent[0]).toMatchObject({ text: 'NOTIFY "es_channel"', values: undefined });
    sent[0]!.finish();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(sent).toHaveLength(1); // nothing owed: no trailing notification
    notifier.committed();
    expect(sent).toHaveLength(2);
  });

  it('leaves no timer behind a notification that nothing is owed after: a lone commit wakes the process once', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    expect(vi.getTimerCount()).toBe(0);
    sent[0]!.finish();
    await settle();
    expect(vi.getTimerCount()).toBe(0); // no interval timer to fire for nothing
    await vi.advanceTimersByTimeAsync(INTERVAL / 2);
    notifier.committed(); // within the interval since the last notification: waits for the rest of it
    expect(sent).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(INTERVAL / 2 - 1);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
    sent[1]!.finish();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('covers the commits of one interval with one notification sent after the last of them', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    sent[0]!.finish();
    await settle();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(1);
      notifier.committed();
    }
    expect(sent).toHaveLength(1); // the interval is not over
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(sent).toHaveLength(2); // trailing edge: one for the five
    sent[1]!.finish();
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(sent).toHaveLength(2);
  });

  it('under a steady stream of commits sends one notification per interval, and one after the last commit', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    const finishAll = () => sent.forEach((s) => s.finish());
    for (let ms = 0; ms < INTERVAL * 5; ms++) {
      if (ms > 0) await vi.advanceTimersByTimeAsync(1);
      notifier.committed();
      finishAll();
    }
    expect(sent).toHaveLength(5); // 50 commits, one each millisecond: a notification every interval
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(sent).toHaveLength(6); // the last commits' trailing notification
    finishAll();
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(sent).toHaveLength(6);
  });

  it('keeps at most one notification in flight: the owed one waits for it even after the interval', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    notifier.committed();
    await vi.advanceTimersByTimeAsync(INTERVAL * 5);
    expect(sent).toHaveLength(1);
    sent[0]!.finish();
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('with interval 0, coalesces only the commits made while a notification is in flight', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', 0);
    notifier.committed();
    notifier.committed();
    notifier.committed();
    expect(sent).toHaveLength(1);
    sent[0]!.finish();
    await settle();
    expect(sent).toHaveLength(2); // one more covers the two later commits
    sent[1]!.finish();
    await settle();
    notifier.committed();
    expect(sent).toHaveLength(3);
  });

  it('keeps going after a failed notification (listeners also poll)', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    notifier.committed();
    sent[0]!.finish(new Error('connection lost'));
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(sent).toHaveLength(2);
    sent[1]!.finish();
    await vi.advanceTimersByTimeAsync(INTERVAL);
    notifier.committed();
    expect(sent).toHaveLength(3);
  });

  it('close() sends the notification still owed without waiting out the interval, then waits for it', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    sent[0]!.finish();
    await settle();
    notifier.committed(); // owed, the interval still running
    let closed = false;
    const closing = notifier.close().then(() => (closed = true));
    await settle();
    expect(sent).toHaveLength(2);
    expect(closed).toBe(false); // waits for the notification in flight
    sent[1]!.finish();
    await closing;
    notifier.committed(); // after close: nothing more is sent
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(sent).toHaveLength(2);
  });

  it('close() with nothing owed ends the interval at once and sends nothing', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel', INTERVAL);
    notifier.committed();
    sent[0]!.finish();
    await settle();
    await notifier.close(); // resolves without the clock moving
    expect(sent).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});
