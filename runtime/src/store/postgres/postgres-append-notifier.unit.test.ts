import type pg from 'pg';
import { describe, expect, it } from 'vitest';
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

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PostgresAppendNotifier', () => {
  it('sends one notification per commit when commits are spaced out', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel');
    notifier.committed();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ text: 'select pg_notify($1, $2)', values: ['es_channel', ''] });
    sent[0]!.finish();
    await settle();
    notifier.committed();
    expect(sent).toHaveLength(2);
  });

  it('coalesces commits made while a notification is in flight into exactly one more, sent after it', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel');
    notifier.committed();
    notifier.committed();
    notifier.committed();
    notifier.committed();
    expect(sent).toHaveLength(1); // one in flight, the rest wait
    sent[0]!.finish();
    await settle();
    expect(sent).toHaveLength(2); // one more covers the three later commits
    sent[1]!.finish();
    await settle();
    expect(sent).toHaveLength(2);
  });

  it('keeps going after a failed notification (listeners also poll)', async () => {
    const { pool, sent } = controlledPool();
    const notifier = new PostgresAppendNotifier(pool, 'es_channel');
    notifier.committed();
    notifier.committed();
    sent[0]!.finish(new Error('connection lost'));
    await settle();
    expect(sent).toHaveLength(2);
    sent[1]!.finish();
    await settle();
    notifier.committed();
    expect(sent).toHaveLength(3);
  });
});
