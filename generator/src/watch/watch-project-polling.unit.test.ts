import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.js';
import { main } from '../cli/main.js';
import { watchProject, type WatchEvent, type WatchHandle } from './watch-project.js';

// A file watcher that is ready at once and never reports a change: what the polling safety net
// is for (a platform watcher that drops events, or a file system without them).
vi.mock('chokidar', () => ({
  watch: () => {
    const deaf = Object.assign(new EventEmitter(), { add: () => deaf, close: async () => undefined });
    setImmediate(() => deaf.emit('ready'));
    return deaf;
  },
}));

const quiet = (cwd: string) => ({ cwd, out: () => undefined, err: () => undefined });

describe('watchProject when the file watcher drops every change event', () => {
  let dir: string;
  let handle: WatchHandle | undefined;
  const events: WatchEvent[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-watch-poll-'));
    await main(['init'], quiet(dir));
    events.length = 0;
  });
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  const watchWithPoll = async (pollMs: number) => {
    const config = await loadConfig(join(dir, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error('config');
    handle = watchProject(config, { debounceMs: 10, pollMs, onEvent: (e) => events.push(e) });
    await handle.ready;
  };
  const generatedAfter = (mark: number) =>
    vi.waitFor(
      () => {
        const hit = events.slice(mark).find((e) => e.kind === 'generated');
        if (!hit) throw new Error(`no run yet; saw ${events.map((e) => e.kind).join(', ')}`);
        return hit;
      },
      { timeout: 15_000, interval: 20 },
    );

  it('regenerates from the poll, naming the poll as the trigger', async () => {
    await watchWithPoll(50);
    const yamlPath = join(dir, 'domain/todo.yaml');
    const eventsFile = join(dir, 'src/generated/todo/events/todo-list.ts');
    const mark = events.length;
    await writeFile(
      yamlPath,
      (await readFile(yamlPath, 'utf8')).replace(
        'fields: { itemId: uuid, text: string }',
        'fields: { itemId: uuid, text: string, priority: integer? }',
      ),
    );
    const run = await generatedAfter(mark);
    expect(run.kind === 'generated' && run.trigger).toEqual(['(detected by polling)']);
    expect(await readFile(eventsFile, 'utf8')).toContain('priority: fields.integer().optional()');
  }, 30_000);

  it('polls no run while nothing changed', async () => {
    await watchWithPoll(20);
    const mark = events.length;
    // Many poll intervals with no change: the stamps match the last run's, so nothing runs.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await handle!.idle();
    expect(events.slice(mark)).toEqual([]);
  }, 30_000);
});
