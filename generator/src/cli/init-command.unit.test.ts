import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STARTER_DEPENDENCIES } from './init-command.js';

const REPO = join(import.meta.dirname, '..', '..', '..');

/** `1.2.3` → comparable tuple. */
const parts = (v: string) => v.split('.').map(Number) as [number, number, number];
const compare = (a: string, b: string) => {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
};
/** The few range forms the runtime's peer ranges use: `^a.b.c`, `>=a.b.c <d`. */
function satisfies(version: string, range: string): boolean {
  return range.split(/\s+/).every((part) => {
    const caret = /^\^(\d+\.\d+\.\d+)$/.exec(part);
    if (caret) return compare(version, caret[1]!) >= 0 && parts(version)[0] === parts(caret[1]!)[0];
    const op = /^(>=|<)(\d+(?:\.\d+)?(?:\.\d+)?)$/.exec(part);
    if (!op) throw new Error(`range form not handled: ${range}`);
    const bound = `${op[2]!}.0.0`.split('.').slice(0, 3).join('.');
    return op[1] === '>=' ? compare(version, bound) >= 0 : compare(version, bound) < 0;
  });
}

describe('eventsmith init dependencies', () => {
  it("asks for versions of better-sqlite3 and vitest that the runtime's peer ranges accept", async () => {
    const runtime = JSON.parse(await readFile(join(REPO, 'runtime', 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    };
    const ours = { ...STARTER_DEPENDENCIES.dependencies, vitest: STARTER_DEPENDENCIES.devDependencies.vitest };
    for (const [name, range] of Object.entries(ours)) {
      const lowest = range.replace(/^\^/, '');
      expect(
        satisfies(lowest, runtime.peerDependencies[name]!),
        `${name} ${range} vs runtime peer ${runtime.peerDependencies[name]}`,
      ).toBe(true);
    }
  });

  it('checks ranges the way npm does for the forms used (self-test)', () => {
    expect(satisfies('12.6.2', '^12.6.0')).toBe(true);
    expect(satisfies('11.9.0', '^12.6.0')).toBe(false);
    expect(satisfies('3.2.7', '>=3.2.0 <4')).toBe(true);
    expect(satisfies('4.0.0', '>=3.2.0 <4')).toBe(false);
  });
});
