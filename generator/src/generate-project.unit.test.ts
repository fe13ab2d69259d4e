import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadDomain } from '@eventsmith/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli/test-support/run-cli.js';
import { emitDomain } from './emit/index.js';
import { TEMP_PREFIX } from './write/atomic-write.js';

const DOMAIN = `domain: Shop
aggregates:
  Cart:
    state: { items: integer }
    events:
      ItemAdded: { fields: { sku: string } }
`;

/** Runs the CLI in `dir`; every hostile input below must end in a user error (1), never an internal one (70) or a hang. */
async function run(dir: string, ...argv: string[]): Promise<{ status: number; output: string }> {
  const { status, out, err } = await runCli(dir, ...argv);
  return { status, output: out + err };
}

describe('generate and validate on hostile input folders', () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eventsmith-inputs-'));
    outside = await mkdtemp(join(tmpdir(), 'eventsmith-outside-'));
    await writeFile(
      join(dir, 'eventsmith.config.yaml'),
      'domains:\n  - input: domain\n    output: generated/shop\n    userDir: src/shop\n',
    );
    await mkdir(join(dir, 'domain'));
    await writeFile(join(dir, 'domain/shop.yaml'), DOMAIN);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('a link to a file outside the input folders is refused and its content never printed', async () => {
    const secret = 'root:$6$Zq7Hunter2Hash:19000:0:99999:7:::\nuser: Zq7Hunter2Password\n';
    await writeFile(join(outside, 'shadow'), secret);
    await symlink(join(outside, 'shadow'), join(dir, 'domain/shadow.yaml'));
    for (const argv of [['validate'], ['generate', '--check'], ['generate', '--check', '--format', 'json']]) {
      const { status, output } = await run(dir, ...argv);
      expect(status, output).toBe(1);
      expect(output).toContain('FILE.LINK_OUTSIDE_INPUT');
      expect(output).toContain('domain/shadow.yaml');
      expect(output).not.toContain('Zq7Hunter2');
    }
    await expect(readdir(join(dir, 'generated'))).rejects.toThrow();
  });

  it('a link that stays inside the input folders is read', async () => {
    await mkdir(join(dir, 'shared'));
    await writeFile(join(dir, 'shared/types.yaml'), 'domain: Shop\ntypes:\n  Size: { enum: [S, M] }\n');
    await writeFile(
      join(dir, 'eventsmith.config.yaml'),
      'domains:\n  - input: [domain, shared]\n    output: generated/shop\n    userDir: src/shop\n',
    );
    await symlink(join(dir, 'shared/types.yaml'), join(dir, 'domain/types.yaml'));
    const { status, output } = await run(dir, 'validate');
    expect(output).not.toContain('FILE.LINK_OUTSIDE_INPUT');
    // The same file twice (through the link and in shared/): declared twice, reported as such.
    expect(output).toContain('DOMAIN.DUPLICATE_NAME');
    expect(status).toBe(1);
  });

  it('a projection snapshot that links out of the project is not read, nor quoted', async () => {
    await writeFile(join(outside, 'secret.json'), 'Zq7Hunter2Token-and-more\n');
    await mkdir(join(dir, 'generated/shop/projections/migrations'), { recursive: true });
    await symlink(join(outside, 'secret.json'), join(dir, 'generated/shop/projections/migrations/snapshot.json'));
    const { status, output } = await run(dir, 'generate', '--check');
    expect(status).toBe(1);
    expect(output).toContain('SNAPSHOT.INVALID');
    expect(output).not.toContain('Zq7');
  });

  it('a deleted projection snapshot is refused while migrations exist, and nothing is written or removed', async () => {
    const migrations = join(dir, 'generated/shop/projections/migrations');
    const projection = (columns: string) =>
      `${DOMAIN}projections:\n  Carts:\n    columns: { cart_id: string${columns} }\n    primaryKey: cart_id\n    on:\n      ItemAdded:\n        upsert: { cart_id: meta.aggregateId }\n`;
    await writeFile(join(dir, 'domain/shop.yaml'), projection(''));
    expect((await run(dir, 'generate')).status).toBe(0);
    await writeFile(join(dir, 'domain/shop.yaml'), projection(', note: string?'));
    expect((await run(dir, 'generate')).status).toBe(0);
    const before = (await readdir(migrations)).sort();
    expect(before).toEqual(['0001_create_carts.ts', '0002_alter_carts.ts', 'index.ts', 'snapshot.json']);

    await rm(join(migrations, 'snapshot.json'));
    for (const argv of [['generate'], ['generate', '--check'], ['validate']]) {
      const { status, output } = await run(dir, ...argv);
      expect(status, output).toBe(1);
      expect(output).toContain('[SNAPSHOT.MISSING]');
      expect(output).toContain('0001_create_carts, 0002_alter_carts');
      expect(output).toContain('git checkout HEAD -- generated/shop/projections/migrations/snapshot.json');
    }
    expect((await readdir(migrations)).sort()).toEqual(before.filter((f) => f !== 'snapshot.json'));

    // Without any migration (no database can have run one), the tables start afresh.
    await rm(migrations, { recursive: true });
    expect((await run(dir, 'generate')).status).toBe(0);
    expect((await readdir(migrations)).sort()).toEqual(['0001_create_carts.ts', 'index.ts', 'snapshot.json']);
  });

  it('a projection renamed while it keeps its table is refused at the projection, and nothing is written', async () => {
    const projection = (name: string, table = '') =>
      `${DOMAIN}projections:\n  ${name}:\n${table}    columns: { cart_id: string, items: { type: integer, default: 0 } }\n    primaryKey: cart_id\n    on:\n      ItemAdded:\n        upsert: { cart_id: meta.aggregateId, items: { increment: 1 } }\n`;
    await writeFile(join(dir, 'domain/shop.yaml'), projection('Carts'));
    expect((await run(dir, 'generate')).status).toBe(0);
    const files = async () => (await readdir(join(dir, 'generated/shop/projections'))).sort();
    const before = await files();

    await writeFile(join(dir, 'domain/shop.yaml'), projection('CartSizes', '    table: carts\n'));
    for (const argv of [['generate'], ['validate']]) {
      const { status, output } = await run(dir, ...argv);
      expect(status, output).toBe(1);
      expect(output).toContain(
        'domain/shop.yaml:8:3  Projection "CartSizes" writes table carts, which projection "Carts" wrote',
      );
      expect(output).toContain('[PROJECTION.TABLE_OWNER]');
    }
    expect(await files()).toEqual(before);

    // Renamed together with its table, it starts afresh from the first event.
    await writeFile(join(dir, 'domain/shop.yaml'), projection('CartSizes', '    table: cart_sizes\n'));
    expect((await run(dir, 'generate')).status).toBe(0);
  });

  it('the custom handler file of a removed or renamed projection is reported, with what to do, and kept', async () => {
    const projection = (name: string) =>
      `${DOMAIN}projections:\n  ${name}:\n    columns: { cart_id: string }\n    primaryKey: cart_id\n    on:\n      ItemAdded: custom\n`;
    await writeFile(join(dir, 'domain/shop.yaml'), projection('Carts'));
    expect((await run(dir, 'generate')).status).toBe(0);
    const handlers = join(dir, 'src/shop/projections/carts.ts');
    const written = await readFile(handlers, 'utf8');
    expect(written).toContain('CartsCustomHandlers');
    await writeFile(join(dir, 'src/shop/projections/helpers.ts'), 'export const x = 1;\n');

    // Renamed (with a new table): the new projection gets its own file; the old one is named, with where to move it.
    await writeFile(join(dir, 'domain/shop.yaml'), projection('CartLines'));
    const renamed = await run(dir, 'generate');
    let output = renamed.output;
    expect(renamed.status, output).toBe(0);
    expect(output).toContain('src/shop/projections/carts.ts:');
    expect(output).toContain('no longer declares projection "Carts" with custom handlers');
    expect(output).toContain('move its handlers into src/shop/projections/cart-lines.ts');
    expect(output).not.toContain('helpers.ts');
    expect(await readFile(handlers, 'utf8')).toBe(written);

    // Removed: still reported on every run while the file is there, also by --check.
    await writeFile(join(dir, 'domain/shop.yaml'), DOMAIN);
    await rm(join(dir, 'src/shop/projections/cart-lines.ts'));
    for (const argv of [['generate'], ['generate', '--check']]) {
      ({ output } = await run(dir, ...argv));
      expect(output).toContain('src/shop/projections/carts.ts:');
      expect(output).toContain('CartsCustomHandlers is imported');
      expect(output).toContain('delete it');
      expect(output).not.toContain('move its handlers into src/');
    }
    await rm(handlers);
    ({ output } = await run(dir, 'generate'));
    expect(output).not.toContain('carts.ts');
  });

  it('a dangling link is a clear error, not "internal error"', async () => {
    await symlink(join(dir, 'domain/moved-away.yaml'), join(dir, 'domain/dangling.yaml'));
    for (const argv of [['validate'], ['generate']]) {
      const { status, output } = await run(dir, ...argv);
      expect(status, output).toBe(1);
      expect(output).not.toContain('internal error');
      expect(output).toMatch(/domain\/dangling\.yaml:1:1 +The file is a symbolic link to a file that does not exist/);
    }
  });

  it.skipIf(process.platform === 'win32')(
    'a FIFO in the schema folder is refused without blocking',
    async () => {
      execFileSync('mkfifo', [join(dir, 'domain/fifo.yaml')]);
      for (const argv of [['validate'], ['generate'], ['generate', '--check']]) {
        const { status, output } = await run(dir, ...argv);
        expect(status, output).toBe(1);
        expect(output).toMatch(/domain\/fifo\.yaml:1:1 +.*FIFO/);
        expect(output).toContain('FILE.NOT_REGULAR');
      }
      execFileSync('mkfifo', [join(dir, 'fifo.config.yaml')]);
      const config = await run(dir, 'validate', '--config', 'fifo.config.yaml');
      expect(config).toMatchObject({
        status: 1,
        output: expect.stringContaining('fifo.config.yaml is not a regular file'),
      });
    },
    30_000,
  );

  it('validate refuses a name that generate could not write as a file, and both say where', async () => {
    await writeFile(
      join(dir, 'domain/long.yaml'),
      `domain: Shop\naggregates: { ${'B'.repeat(10_000)}: { events: { Happened: { fields: { id: uuid } } } } }\n`,
    );
    for (const argv of [['validate'], ['generate']]) {
      const { status, output } = await run(dir, ...argv);
      expect(status, output.slice(0, 2000)).toBe(1);
      expect(output).toMatch(
        /domain\/long\.yaml:2:15 +Aggregate "B+…" \(10000 characters\) is longer than 80 characters/,
      );
      expect(output).toContain('NAME.TOO_LONG');
      expect(output.length).toBeLessThan(2000);
    }
  });

  it('a UTF-16 file is named as such', async () => {
    await writeFile(
      join(dir, 'domain/shop.yaml'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(DOMAIN, 'utf16le')]),
    );
    const { status, output } = await run(dir, 'validate');
    expect(status).toBe(1);
    expect(output).toMatch(/domain\/shop\.yaml:1:1 +The file is encoded as UTF-16LE, not UTF-8/);
  });
});

describe('what validate accepts, generate can write', () => {
  it('every file name generated from names the loader accepts fits a file system, also while written to a temporary file', () => {
    // The write stage writes `<TEMP_PREFIX><pid>-<8 hex>-<name>` first; most file systems allow 255 bytes.
    const budget = 255 - `${TEMP_PREFIX}4194304-00000000-`.length;
    const name = fc.stringMatching(/^[A-Z][A-Za-z0-9_]{0,199}$/);
    fc.assert(
      fc.property(name, name, name, fc.integer({ min: 1, max: 1_000_000 }), (aggregate, event, projection, version) => {
        fc.pre(new Set([aggregate, event, projection].map((n) => n.toLowerCase())).size === 3);
        const history =
          version > 1
            ? `, version: ${version}, history: { ${Array.from({ length: Math.min(version - 1, 3) }, (_, i) => `${version - 1 - i}: { fields: { id: uuid }, upcast: custom }`).join(', ')} }`
            : '';
        const text = `domain: Shop\naggregates: { ${aggregate}: { events: { ${event}: { fields: { id: uuid }${history} } } } }\nprojections: { ${projection}: { columns: { id: uuid }, primaryKey: id, on: { ${event}: custom } } }\n`;
        const result = loadDomain([{ path: 'shop.yaml', text }]);
        if (!result.ok) {
          for (const e of result.errors) expect(e.code, e.message).toMatch(/^(NAME\.|EVENT\.VERSION_GAP)/);
          return;
        }
        for (const file of emitDomain(result.value, { outDir: 'generated/shop', userDir: 'src/shop' })) {
          for (const segment of file.path.split('/'))
            expect(Buffer.byteLength(segment), file.path).toBeLessThanOrEqual(budget);
        }
      }),
      { numRuns: 150 },
    );
  });
});
