import { describe, expect, it } from 'vitest';
import { pageEvents } from './page-events.js';

/** Pages as an async generator that logs what happens to it, as a store's pages would. */
function pagesOf(pages: readonly (readonly number[] | Error)[], log: string[]) {
  return async function* () {
    try {
      for (const page of pages) {
        await Promise.resolve();
        if (page instanceof Error) throw page;
        log.push(`page ${page.join(',')}`);
        yield page;
      }
    } finally {
      log.push('pages closed');
    }
  };
}

/** The generator `pageEvents` replaces, for the same pages, to compare with. */
function reference(pages: readonly (readonly number[] | Error)[], decode: (n: number) => number, log: string[]) {
  return (async function* () {
    log.push('opened');
    try {
      for await (const page of pagesOf(pages, log)()) for (const row of page) yield decode(row);
    } finally {
      log.push('closed');
    }
  })();
}

function subject(pages: readonly (readonly number[] | Error)[], decode: (n: number) => number, log: string[]) {
  return pageEvents({
    open: () => {
      log.push('opened');
      return pagesOf(pages, log)();
    },
    decode,
    close: () => void log.push('closed'),
  });
}

type Step = 'next' | 'return' | 'throw';

/** Runs `steps` (each group at once, then awaited together) and returns what each call gave, and the log. */
async function run(
  make: typeof subject,
  pages: readonly (readonly number[] | Error)[],
  decode: (n: number) => number,
  steps: readonly (readonly Step[])[],
) {
  const log: string[] = [];
  const iterator = make(pages, decode, log) as AsyncIterator<number>;
  const outcomes: string[] = [];
  for (const group of steps) {
    const calls = group.map((step) =>
      step === 'next'
        ? iterator.next()
        : step === 'return'
          ? iterator.return!()
          : iterator.throw!(new Error('thrown in')),
    );
    const settled = await Promise.allSettled(calls);
    for (const s of settled)
      outcomes.push(
        s.status === 'fulfilled'
          ? s.value.done
            ? 'done'
            : `value ${s.value.value}`
          : `error ${(s.reason as Error).message}`,
      );
  }
  return { outcomes, log };
}

const same = async (
  pages: readonly (readonly number[] | Error)[],
  steps: readonly (readonly Step[])[],
  decode: (n: number) => number = (n) => n * 10,
) => {
  const expected = await run(reference, pages, decode, steps);
  const actual = await run(subject, pages, decode, steps);
  expect(actual).toEqual(expected);
  return actual;
};

const nexts = (n: number): Step[][] => Array.from({ length: n }, () => ['next']);

describe('pageEvents', () => {
  it('gives the items of every page in order, skipping empty pages, and closes once at the end', async () => {
    const { outcomes, log } = await same([[1, 2], [], [3], [4, 5]], nexts(7));
    expect(outcomes).toEqual(['value 10', 'value 20', 'value 30', 'value 40', 'value 50', 'done', 'done']);
    expect(log.filter((l) => l === 'closed')).toHaveLength(1);
  });

  it('runs nothing before the first next(), and nothing at all when returned first', async () => {
    const log: string[] = [];
    const iterator = subject([[1]], (n) => n, log);
    expect(log).toEqual([]);
    expect(await iterator.return!()).toEqual({ value: undefined, done: true });
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(log).toEqual([]);
    await same([[1]], [['return'], ['next']]);
  });

  it('closes the pages and ends when returned early, before and after a page boundary', async () => {
    const { log } = await same(
      [
        [1, 2],
        [3, 4],
      ],
      [['next'], ['return'], ['next']],
    );
    expect(log).toEqual(['opened', 'page 1,2', 'pages closed', 'closed']);
    await same(
      [
        [1, 2],
        [3, 4],
      ],
      [['next'], ['next'], ['next'], ['return'], ['next']],
    );
  });

  it('fails the call whose item does not decode, closes the pages, then is done', async () => {
    const decode = (n: number) => {
      if (n === 3) throw new Error('undecodable 3');
      return n;
    };
    const { outcomes, log } = await same(
      [
        [1, 2],
        [3, 4],
      ],
      nexts(5),
      decode,
    );
    expect(outcomes).toEqual(['value 1', 'value 2', 'error undecodable 3', 'done', 'done']);
    expect(log.slice(-2)).toEqual(['pages closed', 'closed']);
    await same([[1, 2, 3, 4]], nexts(5), decode); // in the middle of a page
  });

  it('fails the call whose page fails, then is done', async () => {
    const { outcomes } = await same([[1], new Error('page lost')], nexts(3));
    expect(outcomes).toEqual(['value 10', 'error page lost', 'done']);
  });

  it('fails and closes when the iteration cannot open', async () => {
    const log: string[] = [];
    const iterator = pageEvents<number, number>({
      open: () => {
        log.push('opened');
        throw new Error('closed store');
      },
      decode: (n) => n,
      close: () => void log.push('closed'),
    });
    await expect(iterator.next()).rejects.toThrow('closed store');
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
    expect(log).toEqual(['opened', 'closed']);
  });

  it('answers calls made at once in the order they were made, across pages, with return() and throw() among them', async () => {
    await same(
      [[1, 2], [3], [], [4, 5, 6]],
      [
        ['next', 'next', 'next', 'next'],
        ['next', 'next', 'next', 'next'],
      ],
    );
    await same(
      [
        [1, 2],
        [3, 4],
      ],
      [['next', 'next', 'return', 'next']],
    );
    await same(
      [
        [1, 2],
        [3, 4],
      ],
      [['next'], ['next', 'throw', 'next']],
    );
    await same(
      [
        [1, 2],
        [3, 4],
      ],
      [['throw', 'next']],
    );
  });

  it('answers a call made while a page is read before a call its first caller makes on receiving its item', async () => {
    const interleaved = async (make: typeof subject) => {
      const iterator = make([[1, 2, 3]], (n) => n, []);
      const order: string[] = [];
      const first = iterator.next().then(async ({ value }) => {
        order.push(`first ${value}`);
        order.push(`third ${(await iterator.next()).value}`);
      });
      const second = iterator.next().then(({ value }) => void order.push(`second ${value}`));
      await Promise.all([first, second]);
      return order;
    };
    expect(await interleaved(subject)).toEqual(await interleaved(reference));
    expect(await interleaved(subject)).toEqual(['first 1', 'second 2', 'third 3']);
  });
});
