import { describe, expect, it } from 'vitest';
import { KeyedLanes } from './keyed-lanes.js';

const tick = (ms = 1) => new Promise<void>((r) => setTimeout(r, ms));

describe('KeyedLanes', () => {
  it('runs one key in order and different keys concurrently, up to the limit', async () => {
    const lanes = new KeyedLanes(2);
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const task = (name: string, ms: number) => async () => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      running--;
    };
    await Promise.all([
      lanes.push('a', task('a1', 20)),
      lanes.push('a', task('a2', 1)),
      lanes.push('b', task('b1', 5)),
      lanes.push('c', task('c1', 5)),
    ]);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(peak).toBe(2);
    expect(log.filter((l) => l.startsWith('end'))).toHaveLength(4);
  });

  it('skips cancelled tasks and keeps going after a failing one', async () => {
    const lanes = new KeyedLanes(4);
    const ran: string[] = [];
    let cancelled = false;
    const first = lanes.push('k', async () => {
      ran.push('first');
      throw new Error('boom');
    });
    const second = lanes.push(
      'k',
      async () => void ran.push('second'),
      () => cancelled,
    );
    cancelled = true;
    await Promise.all([first, second]);
    await lanes.push('k', async () => void ran.push('third'));
    expect(ran).toEqual(['first', 'third']);
  });

  it('enqueue reports whether each task ran or was skipped, and lets a waiting key go before a busy key runs again', async () => {
    const lanes = new KeyedLanes(1);
    const order: string[] = [];
    const settled: string[] = [];
    let stopping = false;
    const all: Promise<void>[] = [];
    const add = (key: string, name: string, cancellable = false) =>
      all.push(
        new Promise<void>((resolve) =>
          lanes.enqueue(
            key,
            async () => void order.push(name),
            () => cancellable && stopping,
            (ran) => {
              settled.push(`${name}:${ran}`);
              resolve();
            },
          ),
        ),
      );
    add('a', 'a1');
    add('a', 'a2');
    add('b', 'b1');
    add('c', 'c1', true);
    stopping = true;
    await Promise.all(all);
    // One slot: a1, then b (waiting since before a2 became runnable), then a2; c1 is skipped.
    expect(order).toEqual(['a1', 'b1', 'a2']);
    expect(settled).toContain('c1:false');
    expect(settled.filter((s) => s.endsWith(':true'))).toHaveLength(3);
  });

  it('runs tasks that finish without a promise in the same order and turns, without holding a slot', async () => {
    const lanes = new KeyedLanes(1);
    const order: string[] = [];
    let releaseSlow!: () => void;
    const slow = lanes.push('slow', () => new Promise<void>((resolve) => (releaseSlow = resolve)));
    const sync = (key: string, name: string, fail = false) =>
      lanes.push(key, () => {
        order.push(name);
        if (fail) throw new Error('boom');
      });
    const rest = [sync('a', 'a1', true), sync('a', 'a2'), sync('b', 'b1'), sync('slow', 'slow2')];
    await tick();
    // The only slot is taken by the running async task: nothing else starts meanwhile.
    expect(order).toEqual([]);
    releaseSlow();
    await Promise.all([slow, ...rest]);
    // A synchronous task that throws does not stop its lane; a key goes to the back of the line after each task.
    expect(order).toEqual(['a1', 'b1', 'slow2', 'a2']);
    expect(lanes.running).toBe(0);
  });

  it('drain waits for running tasks and reports a timeout', async () => {
    const lanes = new KeyedLanes(1);
    void lanes.push('slow', async () => void (await tick(50)));
    await tick();
    expect(await lanes.drain(5)).toBe(false);
    expect(await lanes.drain(1000)).toBe(true);
    expect(lanes.running).toBe(0);
  });
});
