import { describe, expect, it } from 'vitest';
import { EventStoreClosedError, InvalidArgumentError } from '../errors.js';
import { StoreGate } from './store-gate.js';

/** A promise, and the function that resolves it. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function* counted(log: string[], count: number): AsyncGenerator<number> {
  try {
    for (let i = 1; i <= count; i++) {
      log.push(`page ${i}`);
      yield i;
    }
  } finally {
    log.push('pages closed');
  }
}

describe('StoreGate', () => {
  it('steps a page iteration as operations: close() waits for the page in flight, not for the iteration, and refuses the next', async () => {
    const gate = new StoreGate('test:1');
    const log: string[] = [];
    const pages = gate.pages(counted(log, 3));
    expect((await pages.next()).value).toBe(1);
    const inFlight = pages.next(); // runs up to the page's read before close() begins
    const closed = gate.close(async () => void log.push('shut'));
    expect((await inFlight).value).toBe(2);
    await closed;
    await expect(pages.next()).rejects.toBeInstanceOf(EventStoreClosedError);
    expect(log).toEqual(['page 1', 'page 2', 'shut', 'pages closed']);
    // An iteration left open does not hold close() up.
    const other = new StoreGate('test:2');
    const open = other.pages(counted([], 3));
    await open.next();
    await other.close(async () => undefined);
  });

  it('lets a transaction accepted before close() run its operations to the end, and close() waits for it', async () => {
    const gate = new StoreGate('test:1');
    const log: string[] = [];
    const inside = signal();
    const carryOn = signal();
    const transaction = gate.transaction(async () => {
      inside.resolve();
      await carryOn.promise;
      gate.check();
      await gate.run(async () => log.push('read inside'));
      await gate.transaction(async () => log.push('nested'));
      return 'committed';
    });
    await inside.promise;
    const closed = gate.close(async () => void log.push('shut'));
    expect(() => gate.check()).toThrow(EventStoreClosedError);
    await expect(gate.run(async () => 'outside')).rejects.toBeInstanceOf(EventStoreClosedError);
    await expect(gate.transaction(async () => 'late')).rejects.toBeInstanceOf(EventStoreClosedError);
    carryOn.resolve();
    expect(await transaction).toBe('committed');
    await closed;
    expect(log).toEqual(['read inside', 'nested', 'shut']);
  });

  it('refuses close() from inside its own transaction (it would wait for itself), and admits nothing once that transaction has ended', async () => {
    const gate = new StoreGate('test:1');
    const shut: string[] = [];
    let later: (() => Promise<string>) | undefined;
    const refusal = await gate.transaction(async () => {
      later = () => gate.run(async () => 'after the transaction');
      return gate.close(async () => void shut.push('shut')).catch((error: unknown) => error);
    });
    expect(refusal).toBeInstanceOf(InvalidArgumentError);
    expect(shut).toEqual([]);
    gate.check(); // still open
    // Another gate's close() inside this transaction is not its own: it closes.
    const other = new StoreGate('test:2');
    await gate.transaction(() => other.close(async () => void shut.push('other shut')));
    expect(shut).toEqual(['other shut']);
    await gate.close(async () => void shut.push('shut'));
    // Code started inside the transaction but run after it ended is refused like any other.
    await expect(later!()).rejects.toBeInstanceOf(EventStoreClosedError);
  });
});
