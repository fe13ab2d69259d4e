import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DriverNotInstalledError } from '../errors.js';
import { DRIVERS, loadDriver, type DriverName } from './load-driver.js';

const notFound = (name: string) =>
  Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /app/node_modules/x.js`), {
    code: 'MODULE_NOT_FOUND',
  });
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('loadDriver', () => {
  it('names the package to install when the driver is missing', () => {
    let error: unknown;
    try {
      loadDriver('better-sqlite3', (name) => {
        throw notFound(name);
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DriverNotInstalledError);
    expect(error).toMatchObject({
      code: 'DRIVER.NOT_INSTALLED',
      driver: 'better-sqlite3',
      entry: '@eventsmith/runtime/sqlite',
      fix: `npm install better-sqlite3@${DRIVERS['better-sqlite3'].range}`,
    });
    expect((error as Error).message).toContain('npm install better-sqlite3@^12');
  });

  it('passes on a module missing inside an installed driver, and any other failure, unchanged', () => {
    const inner = notFound('pg-types');
    expect(() =>
      loadDriver('pg', () => {
        throw inner;
      }),
    ).toThrow(inner);
    const broken = new Error('Could not locate the bindings file.');
    expect(() =>
      loadDriver('better-sqlite3', () => {
        throw broken;
      }),
    ).toThrow(broken);
  });

  it('returns the loaded module', () => {
    const module = { connect() {} };
    expect(loadDriver('nats', () => module)).toBe(module);
  });

  it('covers exactly the optional peer drivers of package.json, with the same version ranges', () => {
    for (const [name, { range }] of Object.entries(DRIVERS) as [DriverName, { range: string }][]) {
      expect(pkg.peerDependencies[name], name).toBe(range);
      expect(pkg.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(pkg.dependencies[name], name).toBeUndefined();
    }
  });
});
