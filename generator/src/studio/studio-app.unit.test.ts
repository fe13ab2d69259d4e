import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreUnavailableError } from '@eventsmith/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpsFailure } from '../ops/ops-failure.js';
import { loadConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { createStudioApp } from './studio-app.js';
import { startStudio } from './studio-server.js';
import { readLiveFeed } from './test-support/read-live-feed.js';
import { seedBankStore, seedLongAccount, type BankSeed } from './test-support/seed-bank-store.js';

// The studio's access rules at the HTTP level (the browser tests cover the pages).
const ROOT = join(import.meta.dirname, '../../..');

describe('studio access', () => {
  let dir: string;
  let inspector: StoreInspector;
  let seed: BankSeed;
  let project: ProjectCode;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-studio-app-'));
    const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    project = await loadProjectCode(config);
    seed = await seedBankStore(join(dir, 'bank.sqlite'), project, ROOT);
    inspector = await StoreInspector.open({ url: 'sqlite:bank.sqlite', cwd: dir, code: project });
  }, 120_000);

  afterAll(async () => {
    await inspector?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const app = (options: { token?: string; allowWrites?: boolean; allowedHosts?: string[] } = {}) =>
    createStudioApp({ inspector, allowWrites: options.allowWrites ?? false, domain: async () => [], ...options });
  const code = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

  it('with a token, refuses requests without it and accepts the bearer header or the cookie the ?token= URL sets', async () => {
    const studio = app({ token: 's3cret' });
    const refused = await studio.request('/api/info');
    expect(refused.status).toBe(401);
    expect(await code(refused)).toBe('STUDIO.TOKEN');
    expect((await studio.request('/api/info', { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await studio.request('/api/info', { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    const first = await studio.request('/?token=s3cret');
    expect(first.status).toBe(200);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const again = await studio.request('/api/streams', { headers: { cookie: cookie.split(';')[0]! } });
    expect(again.status).toBe(200);
  });

  it('answers only loopback host names when bound to loopback (no DNS rebinding)', async () => {
    const studio = app({ allowedHosts: ['127.0.0.1', 'localhost'] });
    expect((await studio.request('http://127.0.0.1:5555/api/info')).status).toBe(200);
    const foreign = await studio.request('http://attacker.example:5555/api/info');
    expect(foreign.status).toBe(403);
    expect(await code(foreign)).toBe('STUDIO.HOST');
  });

  it('refuses changes when read-only, and changes not sent as JSON even with writes allowed', async () => {
    const id = seed.deadLetters[seed.globex]!;
    const readOnly = await app().request(`/api/dead-letters/${id}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(readOnly.status).toBe(403);
    expect(await code(readOnly)).toBe('STUDIO.READ_ONLY');
    const form = await app({ allowWrites: true }).request(`/api/dead-letters/${id}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect(form.status).toBe(415);
    expect((await inspector.deadLetter(id)).status).toBe('pending');
  });

  it('will not listen on another address than loopback without a token', async () => {
    await expect(
      startStudio({ inspector, allowWrites: false, host: '0.0.0.0', port: 0, domain: async () => [] }),
    ).rejects.toThrow(OpsFailure);
  });

  it('sends a long timeline in windows of 200 versions around the one asked for', async () => {
    await seedLongAccount(join(dir, 'bank.sqlite'), project, 'long', 249);
    const window = async (query: string) => {
      const body = (await (await app().request(`/api/stream?id=BankAccount-long${query}`)).json()) as {
        version: number;
        from: number;
        to: number;
        events: { version: number }[];
      };
      return [
        body.version,
        body.from,
        body.to,
        body.events.length,
        body.events[0]?.version,
        body.events.at(-1)?.version,
      ];
    };
    expect(await window('')).toEqual([250, 51, 250, 200, 51, 250]);
    expect(await window('&around=1')).toEqual([250, 1, 200, 200, 1, 200]);
    expect(await window('&around=120')).toEqual([250, 20, 219, 200, 20, 219]);
    const state = (await (await app().request('/api/stream/state?id=BankAccount-long&v=120')).json()) as {
      version: number;
      state: { balance: string };
    };
    expect(state).toMatchObject({ version: 120, state: { balance: '119' } });
  });

  it('keeps an unexplained failure out of the page and writes its details (password redacted) to the log', async () => {
    const failing = Object.create(inspector) as StoreInspector;
    failing.streams = () => Promise.reject(new Error('driver said: connect postgres://app:hunter2@db/app failed'));
    const logged: string[] = [];
    const studio = createStudioApp({
      inspector: failing,
      allowWrites: false,
      domain: async () => [],
      log: (line) => logged.push(line),
    });
    const response = await studio.request('/api/streams');
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { code: string; message: string; fix: string } };
    expect(body.error.code).toBe('STUDIO.INTERNAL');
    expect(body.error.message).toBe('The studio could not answer GET /api/streams: Error.');
    expect(body.error.fix).toContain('terminal');
    expect(logged[0]).toMatch(
      /^eventsmith studio: GET \/api\/streams failed: Error: driver said: connect postgres:\/\/app:\*\*\*@db\/app failed\n {4}at /,
    );
    expect(logged.join('\n')).not.toContain('hunter2');
  });

  it('refuses a dead-letter status filter it does not know instead of listing nothing', async () => {
    const bogus = await app().request('/api/dead-letters?status=pendng');
    expect(bogus.status).toBe(400);
    expect(await code(bogus)).toBe('STUDIO.STATUS');
    const pending = (await (await app().request('/api/dead-letters?status=pending')).json()) as {
      deadLetters: unknown[];
    };
    expect(pending.deadLetters).toHaveLength(3);
    expect((await app().request('/api/dead-letters?status=all')).status).toBe(200);
  });

  it("filters dead letters by a row's scope, and refuses a scope filter that could only list nothing", async () => {
    const ids = async (query: string, studio = app()) => {
      const response = await studio.request(`/api/dead-letters?${query}`);
      expect(response.status).toBe(200);
      return ((await response.json()) as { deadLetters: { id: string }[] }).deadLetters.map((d) => d.id);
    };
    // AccountSummary has an unscoped checkpoint and none of a tenant: its unscoped row counts
    // the tenants' dead letters too. ?tenant= lists a tenant's (of its events).
    expect(await ids('tenant=acme')).toEqual([seed.deadLetters[seed.acme]]);
    expect(await ids('unscoped=true')).toEqual([seed.bob, seed.acme, seed.globex].map((s) => seed.deadLetters[s]));
    expect(await ids('tenant=&unscoped=')).toHaveLength(3); // empty: no filter, as for the others
    const refused = async (query: string, studio = app()) => {
      const response = await studio.request(`/api/dead-letters?${query}`);
      const body = (await response.json()) as { error: { code: string; message: string; fix: string } };
      return { status: response.status, code: body.error.code, message: body.error.message };
    };
    expect(await refused('unscoped=yes')).toEqual({
      status: 400,
      code: 'STUDIO.UNSCOPED',
      message: '?unscoped= must be true, not "yes".',
    });
    expect(await refused('tenant=acme&unscoped=true')).toMatchObject({ status: 400, code: 'STUDIO.TENANT' });
    const acme = await StoreInspector.open({ url: 'sqlite:bank.sqlite', cwd: dir, code: project, tenantId: 'acme' });
    try {
      const studio = createStudioApp({ inspector: acme, allowWrites: false, domain: async () => [] });
      expect(await ids('tenant=acme', studio)).toEqual([seed.deadLetters[seed.acme]]);
      expect(await refused('tenant=globex', studio)).toEqual({
        status: 400,
        code: 'STUDIO.TENANT',
        message: 'This studio shows tenant "acme" only, not "globex".',
      });
      expect(await refused('unscoped=true', studio)).toMatchObject({ status: 400, code: 'STUDIO.TENANT' });
    } finally {
      await acme.close();
    }
  });

  it('resumes the live feed after the Last-Event-ID a reconnecting browser sends', async () => {
    // The events the live feed sends before it first goes idle.
    const live = async (headers: Record<string, string>, query = '') => {
      const abort = new AbortController();
      const response = await app({}).request(`/api/feed/live${query}`, { headers, signal: abort.signal });
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: idle')) text += (await reader.read()).value ?? '';
      abort.abort();
      await reader.cancel();
      return [...text.matchAll(/^id: (.+)$/gm)].map((m) => m[1]);
    };
    const feed = (await (await app().request('/api/feed')).json()) as { events: { position: string }[] };
    const positions = await live({}, '?from=start');
    expect(positions.slice(0, 100)).toEqual(feed.events.map((e) => e.position));
    expect(await live({ 'last-event-id': positions[5]! })).toEqual(positions.slice(6));
    expect(await live({ 'last-event-id': positions[5]! }, '?from=start')).toEqual(positions.slice(6));
    const garbage = await app().request('/api/feed/live', { headers: { 'last-event-id': 'garbage' } });
    expect(garbage.status).toBe(400);
  });

  it('tells the live feed page when the store fails, then ends the stream: its typed error, when to retry, where to resume', async () => {
    const shown = await inspector.feed(null, 3);
    const failing = Object.create(inspector) as StoreInspector;
    let reads = 0;
    failing.feed = async () => {
      if (reads++ === 0) return shown;
      throw new EventStoreUnavailableError('postgres://app:***@db/app', { cause: new Error('connect ECONNREFUSED') });
    };
    const logged: string[] = [];
    const studio = createStudioApp({
      inspector: failing,
      allowWrites: false,
      domain: async () => [],
      log: (line) => logged.push(line),
      pollMs: 1,
    });
    // Read to the end: the server ends the stream after the error event.
    const messages = await readLiveFeed(studio, '/api/feed/live?from=start');
    expect(messages.map((m) => m.event)).toEqual(['event', 'event', 'event', 'error']);
    const error = messages.at(-1)!;
    expect(JSON.parse(error.data)).toEqual({
      error: {
        code: 'STORE.UNAVAILABLE',
        message:
          'Event store at postgres://app:***@db/app is unavailable. Check that the database is running and reachable.',
        fix: expect.stringContaining('reconnects'),
      },
      retryable: true,
    });
    // The browser reconnects after `retry` ms, sending this id as Last-Event-ID: it resumes after
    // the last event the page got.
    expect(error.retry).toBe('5000');
    expect(error.id).toBe(shown.at(-1)!.position);
    expect(logged).toEqual([]);
    const resumed = await readLiveFeed(app(), '/api/feed/live?from=start', {
      headers: { 'last-event-id': error.id! },
      until: (m) => m.event === 'idle',
    });
    const rest = await inspector.feed(shown.at(-1)!.position, 1000);
    expect(resumed.filter((m) => m.event === 'event').map((m) => m.id)).toEqual(rest.map((e) => e.position));
  });

  it('ends the live feed with a plain error event for an unexplained failure; the details go to the log only', async () => {
    const failing = Object.create(inspector) as StoreInspector;
    failing.head = () => Promise.reject(new Error('driver said: connect postgres://app:hunter2@db/app failed'));
    const logged: string[] = [];
    const studio = createStudioApp({
      inspector: failing,
      allowWrites: false,
      domain: async () => [],
      log: (line) => logged.push(line),
    });
    const messages = await readLiveFeed(studio, '/api/feed/live');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.event).toBe('error');
    expect(messages[0]!.id).toBeUndefined(); // nothing read yet: a reconnect starts where it would have
    const body = JSON.parse(messages[0]!.data) as { error: { code: string; message: string }; retryable: boolean };
    expect(body).toMatchObject({
      error: { code: 'STUDIO.INTERNAL', message: 'The studio could not answer GET /api/feed/live: Error.' },
      retryable: false,
    });
    expect(messages[0]!.retry).toBe('30000');
    expect(JSON.stringify(messages)).not.toMatch(/hunter2|driver said|\\n +at /);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(
      /^eventsmith studio: GET \/api\/feed\/live failed: Error: driver said: connect postgres:\/\/app:\*\*\*@db/,
    );
    expect(logged[0]).not.toContain('hunter2');
  });

  it('answers an unknown stream with 404 and a missing parameter with 400', async () => {
    const missing = await app().request('/api/stream?id=BankAccount-nobody');
    expect(missing.status).toBe(404);
    expect((await app().request('/api/stream')).status).toBe(400);
  });
});
