/**
 * Watch mode reuses what earlier runs parsed, built, emitted and merged. Whatever it reuses, the
 * output after a series of saves must be exactly what a cold `eventsmith generate` (a new
 * process, nothing reused) writes from the final YAML.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { watchProject, type WatchEvent, type WatchHandle } from './watch-project.js';

const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const CONFIG = 'domains:\n  - input: domain\n    output: generated\n    userDir: src\n';

/** Every file under `dir` (project-relative path → content). */
async function tree(root: string, dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(join(root, dir), { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(root, path), await readFile(path, 'utf8'));
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `generated/` and `src/` as a new CLI process writes them from `root`'s YAML, in a fresh folder. */
async function coldGenerate(root: string): Promise<Map<string, string>> {
  const fresh = await mkdtemp(join(tmpdir(), 'eventsmith-cold-'));
  try {
    await cp(join(root, 'domain'), join(fresh, 'domain'), { recursive: true });
    await writeFile(join(fresh, 'eventsmith.config.yaml'), CONFIG);
    await promisify(execFile)(process.execPath, [
      join(REPO, 'generator/bin/eventsmith.js'),
      'generate',
      '--config',
      join(fresh, 'eventsmith.config.yaml'),
    ]);
    return new Map([...(await tree(fresh, 'generated')), ...(await tree(fresh, 'src'))]);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

const LOYALTY = `domain: Shop
aggregates:
  LoyaltyAccount:
    state: { points: integer }
    commands:
      earn: { params: { points: integer, currency: Currency }, emits: PointsEarned }
    events:
      PointsEarned:
        fields: { points: integer, currency: Currency, at: Address? }
`;

describe('watchProject, after a series of saves', () => {
  let root: string;
  let handle: WatchHandle | undefined;
  const events: WatchEvent[] = [];

  /** Writes one domain file and waits for the run it triggers. */
  const save = async (file: string, edit: (text: string) => string): Promise<WatchEvent> => {
    const path = join(root, 'domain', file);
    const before = await readFile(path, 'utf8').catch(() => '');
    const after = edit(before);
    expect(after, `the edit of ${file} changes it`).not.toBe(before);
    const mark = events.length;
    await writeFile(path, after);
    const started = Date.now();
    for (;;) {
      const done = events.slice(mark).find((e) => e.kind !== 'ready');
      if (done) {
        await handle!.idle();
        return done;
      }
      if (Date.now() - started > 20_000)
        throw new Error(`no run after saving ${file}; saw ${events.map((e) => e.kind).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'eventsmith-watch-e2e-'));
    await cp(join(REPO, 'examples/shop/domain'), join(root, 'domain'), { recursive: true });
    await writeFile(join(root, 'eventsmith.config.yaml'), CONFIG);
    const config = await loadConfig(join(root, 'eventsmith.config.yaml'));
    if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
    handle = watchProject(config, { debounceMs: 30, onEvent: (e) => events.push(e) });
    await handle.ready;
    expect(events.map((e) => e.kind)).toEqual(['generated', 'ready']);
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
    await rm(root, { recursive: true, force: true });
  });

  /**
   * These edits change event versions in place, which the event lock refuses once a version is
   * recorded. They stand for versions that never left the developer's machine: drop the lock, as
   * FORMAT.md says to for those.
   */
  const unpublish = () => rm(join(root, 'generated/events.lock.json'), { force: true });

  it('writes what a cold generate writes, through edits that reach into other files', async () => {
    // A value object used by events of another file gains a field; an enum gains a value.
    expect(
      (
        await save('types.yaml', (t) =>
          t.replace('      postcode: string\n', '      postcode: string\n      line2: string?\n'),
        )
      ).kind,
    ).toBe('generated');
    await unpublish();
    expect(
      (await save('types.yaml', (t) => t.replace('enum: [EUR, USD, GBP]', 'enum: [EUR, USD, GBP, CHF]'))).kind,
    ).toBe('generated');
    // A new file with an aggregate whose events use types of another file.
    expect((await save('loyalty.yaml', () => LOYALTY)).kind).toBe('generated');
    // An event of an existing aggregate gains a field, then loses another.
    expect((await save('loyalty.yaml', (t) => t.replace('at: Address? }', 'at: Address?, note: string? }'))).kind).toBe(
      'generated',
    );
    await unpublish();
    expect((await save('loyalty.yaml', (t) => t.replace('currency: Currency, at:', 'at:'))).kind).toBe('generated');

    const watched = new Map([...(await tree(root, 'generated')), ...(await tree(root, 'src'))]);
    expect(watched.get('generated/events/loyalty-account.ts')).toContain('note:');
    expect(watched.get('generated/types.ts')).toContain('line2:');
    expect(watched).toEqual(await coldGenerate(root));
  }, 120_000);

  it('reports an error that an edit causes in another file, keeps the last good output, and recovers', async () => {
    const good = await tree(root, 'generated');
    // Renaming an event breaks the projection (in another, unchanged file) that handles it by its old name.
    const invalid = await save('orders.yaml', (t) =>
      t
        .replace('emits: OrderPaid', 'emits: OrderSettled')
        .replace('      OrderPaid:\n', '      OrderSettled:\n        renamedFrom: [OrderPaid]\n'),
    );
    expect(invalid.kind).toBe('invalid');
    expect(invalid.kind === 'invalid' && invalid.domainErrors.map((e) => `${e.where.file}: ${e.message}`)).toEqual([
      'domain/projections.yaml: Event "OrderPaid" was renamed to "OrderSettled".',
    ]);
    expect(await tree(root, 'generated')).toEqual(good);

    expect((await save('projections.yaml', (t) => t.replace('      OrderPaid:\n', '      OrderSettled:\n'))).kind).toBe(
      'generated',
    );
    const watched = await tree(root, 'generated');
    expect(watched.get('generated/projections/order-summary.ts')).toContain('OrderSettled');
    // Only the generated files: the user-owned Order class keeps the handler for the old name,
    // which a cold generate never wrote.
    const cold = new Map([...(await coldGenerate(root))].filter(([path]) => path.startsWith('generated/')));
    expect(watched).toEqual(cold);
  }, 120_000);
});
