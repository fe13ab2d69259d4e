import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { loadProjectCode } from '../ops/project-code.js';
import { seedBankStore } from '../studio/test-support/seed-bank-store.js';

// `eventsmith studio` as users run it: a process that prints where it listens, serves, and stops on Ctrl-C.
const ROOT = join(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'generator/bin/eventsmith.js');

describe('eventsmith studio (the command)', () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-studio-cli-'));
    file = join(dir, 'bank.sqlite');
    const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    await seedBankStore(file, await loadProjectCode(config), ROOT);
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the store read-only, scoped to a tenant, until SIGINT, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'studio', '--db', `sqlite:${file}`, '--port', '0', '--tenant', 'acme', '--format', 'json'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        void exited.then((code) => reject(new Error(`exited with ${code} before listening: ${stderr}`)));
      });
      const started = JSON.parse(first) as { url: string; tenant: string; allowWrites: boolean };
      expect(started).toMatchObject({ tenant: 'acme', allowWrites: false });
      const info = (await (await fetch(new URL('/api/info', started.url))).json()) as {
        tenant: string;
        allowWrites: boolean;
      };
      expect(info).toMatchObject({ tenant: 'acme', allowWrites: false });
      const streams = (await (await fetch(new URL('/api/streams', started.url))).json()) as {
        streams: { streamId: string }[];
      };
      expect(streams.streams.map((s) => s.streamId)).toEqual(['BankAccount-acme-1']);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('refuses another address than loopback without a token, before opening anything', async () => {
    const child = spawn(process.execPath, [BIN, 'studio', '--db', `sqlite:${file}`, '--host', '0.0.0.0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2); // a usage error, as `eventsmith studio --help` says
    expect(stderr).toContain('STUDIO.TOKEN_REQUIRED');
    expect(stderr).toContain('--token');
  }, 120_000);
});
