/**
 * `eventsmith migrate` and the operations commands on a postgres:// URL when the project has not
 * installed `pg`: the runtime's PostgreSQL entry throws DriverNotInstalledError when it loads (here
 * simulated), and the CLI says to install the driver, not to check that the database is running.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DriverNotInstalledError } from '@eventsmith/runtime';
import { captureIo } from './test-support/run-cli.js';
import { main } from './main.js';

vi.mock('@eventsmith/runtime/postgres', () => ({
  get PostgresEventStore(): never {
    throw new DriverNotInstalledError('pg', '^8.16.0', '@eventsmith/runtime/postgres');
  },
}));

const REPO = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(REPO, 'eventsmith.config.yaml');
const URL = 'postgres://app:s3cret@127.0.0.1:5432/shop';

describe('a postgres:// URL without the pg driver installed', () => {
  it('migrate names the driver and the install command', async () => {
    const t = captureIo(REPO);
    expect(await main(['migrate', '--db', URL, '--config', CONFIG], t.io)).toBe(1);
    expect(t.err()).toContain('[DRIVER.NOT_INSTALLED]');
    expect(t.err()).toContain('needs the "pg" package, which is not installed');
    expect(t.err()).toContain('fix: Run npm install pg@^8.16.0 in your project');
    expect(t.err()).not.toContain('database is running');
    expect(t.err()).not.toContain('s3cret');
  }, 60_000);

  it('the operations commands name the driver and the install command', async () => {
    const t = captureIo(REPO);
    expect(await main(['events', 'tail', '--db', URL, '--config', CONFIG], t.io)).toBe(1);
    expect(t.err()).toContain('[DRIVER.NOT_INSTALLED]');
    expect(t.err()).toContain('fix: Run npm install pg@^8.16.0 in your project');
    expect(t.err()).not.toContain('database is running');
  }, 60_000);
});
