import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type EventsmithConfig } from '../config/config.js';
import { main } from '../cli/main.js';
import { watchProject, type WatchEvent, type WatchHandle } from './watch-project.js';

const quiet = (cwd: string) => ({ cwd, out: () => undefined, err: () => undefined });

describe('watchProject', () => {
  let dir: string;
  let handle: WatchHandle | undefined;
  let events: WatchEvent[];
  let config: EventsmithConfig;
  const yamlPath = () => join(dir, 'domain/todo.yaml');
  const next = (kind: WatchEvent['kind'], after = events.length) =>
    new Promise<WatchEvent>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        const hit = events.slice(after).find((e) => e.kind === kind);
        if (hit) resolve(hit);
        else if (Date.now() - started > 15_000)
          reject(new Error(`no ${kind} event; saw ${events.map((e) => e.kind).join(', ')}`));
        else setTimeout(poll, 20);
      };
      poll();
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-watch-'));
    await main(['init'], quiet(dir));
    const loaded = await loadConfig(join(dir, 'eventsmith.config.yaml'));
    if (Array.isArray(loaded)) throw new Error('config');
    config = loaded;
    events = [];
    handle = watchProject(config, { debounceMs: 30, onEvent: (e) => events.push(e) });
    await handle.ready;
  });
  afterEach(async () => {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('generates once at start, then after each saved change', async () => {
    expect(events.map((e) => e.kind)).toEqual(['generated', 'ready']);
    const eventsFile = join(dir, 'src/generated/todo/events/todo-list.ts');
    expect(await readFile(eventsFile, 'utf8')).not.toContain('priority');
    const mark = events.length;
    await writeFile(
      yamlPath(),
      (await readFile(yamlPath(), 'utf8')).replace(
        'fields: { itemId: uuid, text: string }',
        'fields: { itemId: uuid, text: string, priority: integer? }',
      ),
    );
    const done = await next('generated', mark);
    // The run names the saved file, or the polling safety net when it saw the change before the
    // watcher's event did (on a loaded machine; the file's event may then join the same run).
    const trigger = done.kind === 'generated' ? done.trigger : [];
    expect(trigger.length).toBeGreaterThan(0);
    expect(['domain/todo.yaml', '(detected by polling)']).toEqual(expect.arrayContaining([...trigger]));
    expect(await readFile(eventsFile, 'utf8')).toContain('priority: fields.integer().optional()');
  }, 30_000);

  it('on invalid YAML reports the errors, writes nothing, keeps watching, and recovers', async () => {
    const eventsFile = join(dir, 'src/generated/todo/events/todo-list.ts');
    const before = await stat(eventsFile);
    const good = await readFile(yamlPath(), 'utf8');
    let mark = events.length;
    await writeFile(yamlPath(), good.replace('fields: { itemId: uuid }', 'fields: { itemId: uuidd }'));
    const invalid = await next('invalid', mark);
    expect(invalid.kind === 'invalid' && invalid.domainErrors[0]!.message).toContain('uuidd');
    expect((await stat(eventsFile)).mtimeMs).toBe(before.mtimeMs);

    mark = events.length;
    await writeFile(yamlPath(), 'domain: Todo\naggregates: [oops');
    await next('invalid', mark);

    mark = events.length;
    await writeFile(yamlPath(), good.replace('fields: { itemId: uuid }', 'fields: { itemId: uuid, at: datetime? }'));
    await next('generated', mark);
    expect(await readFile(eventsFile, 'utf8')).toContain('at: fields.datetime().optional()');
  }, 30_000);

  it('reports the flow warnings of each run with the generated event', async () => {
    const first = events.find((e) => e.kind === 'generated');
    expect(first?.kind === 'generated' && first.diagnostics.map((d) => d.code)).toEqual(['FLOW.EVENT_UNREAD']);
    const mark = events.length;
    await writeFile(
      yamlPath(),
      (await readFile(yamlPath(), 'utf8')).replace('domain: Todo\n', 'domain: Todo\ntypes:\n  Spare: { enum: [a] }\n'),
    );
    const done = await next('generated', mark);
    expect(done.kind === 'generated' && done.diagnostics.map((d) => [d.severity, d.code, d.where.path])).toEqual([
      ['warning', 'FLOW.UNUSED_TYPE', 'types.Spare'],
      ['info', 'FLOW.EVENT_UNREAD', 'domain'],
    ]);
  }, 30_000);

  it('runs again once a user file whose syntax error stopped the run is fixed and saved', async () => {
    const userFile = join(dir, 'src/todo/aggregates/todo-list.ts');
    const good = await readFile(userFile, 'utf8');
    await writeFile(userFile, good.replace('export class TodoList', 'const broken = ;\nexport class TodoList'));
    let mark = events.length;
    await writeFile(
      yamlPath(),
      (await readFile(yamlPath(), 'utf8')).replace(
        '      ItemCompleted:\n        fields: { itemId: uuid }',
        '      ItemCompleted:\n        fields: { itemId: uuid }\n      ItemDropped:\n        fields: { itemId: uuid }',
      ),
    );
    const blocked = await next('invalid', mark);
    expect(blocked.kind === 'invalid' && blocked.cliErrors.map((e) => e.code)).toEqual(['USER_FILE.SYNTAX']);

    mark = events.length;
    await writeFile(userFile, good);
    await next('generated', mark);
    expect(await readFile(userFile, 'utf8')).toContain('onItemDropped');
  }, 30_000);

  it('ignores its own output and user files', async () => {
    await handle!.idle();
    const mark = events.length;
    await writeFile(join(dir, 'src/generated/todo/notes.ts'), '// mine\n');
    await writeFile(
      join(dir, 'src/todo/aggregates/todo-list.ts'),
      `${await readFile(join(dir, 'src/todo/aggregates/todo-list.ts'), 'utf8')}\n// edited\n`,
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(events.slice(mark)).toEqual([]);
  }, 30_000);
});
