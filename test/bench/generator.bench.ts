/**
 * Generator benchmark: a domain of 100 aggregates, 1,000 events and 100 projections.
 * - cold `generate` (empty output; in-process, and the CLI as a fresh process);
 * - watch mode: time from saving one edited YAML file to the last file written, median of 20 edits;
 * - the size of the output.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatCacheFile, generateProject, loadConfig, watchProject, type WatchEvent } from '@eventsmith/generator';
import { median, percentile, table, time } from './harness.js';

const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..');
const AGGREGATES = 100;
const EVENTS_PER_AGGREGATE = 10;

export function aggregateYaml(a: number, extra = ''): string {
  const events = Array.from({ length: EVENTS_PER_AGGREGATE }, (_, e) => {
    const versioned = e % 5 === 0;
    return `      Agg${a}Event${e}:
        ${versioned ? 'version: 2\n        ' : ''}fields:
          amount: decimal
          note: string?
          at: datetime
          count: integer
          kind: Kind
          tags: list<string>${e === 0 ? extra : ''}${
            versioned
              ? `
        history:
          1:
            fields: { amount: number, note: string?, at: datetime, count: integer, kind: Kind, tags: list<string>, legacy: string }
            upcast:
              - dropField: legacy
              - convert: { field: amount, using: numberToDecimal }`
              : ''
          }`;
  }).join('\n');
  return `domain: Big
aggregates:
  Agg${a}:
    snapshot: { every: 100 }
    state: { total: decimal, count: integer, lastAt: datetime? }
    commands:
      act: { params: { amount: decimal }, emits: Agg${a}Event1 }
    events:
${events}
projections:
  Proj${a}:
    columns: { id: string, total: { type: decimal, default: "0" }, count: { type: integer, default: 0 }, last_at: datetime?, kind: string? }
    primaryKey: id
    indexes: [[kind]]
    on:
      Agg${a}Event0: { insert: { id: meta.aggregateId, total: data.amount, kind: data.kind, last_at: meta.occurredAt } }
      Agg${a}Event1: { update: { where: { id: meta.aggregateId }, set: { total: { increment: data.amount }, count: { increment: 1 } } } }
      Agg${a}Event2: { upsert: { id: meta.aggregateId, count: { increment: data.count } } }
      Agg${a}Event3: { delete: { where: { id: meta.aggregateId } } }
`;
}

async function dirSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

export default async function bench(): Promise<void> {
  const root = join(REPO, 'tmp', 'fixtures', `bench-generator-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(join(root, 'domain'), { recursive: true });
  await writeFile(join(root, 'domain', 'types.yaml'), 'domain: Big\ntypes:\n  Kind: { enum: [A, B, C] }\n');
  for (let a = 0; a < AGGREGATES; a++) await writeFile(join(root, 'domain', `agg-${a}.yaml`), aggregateYaml(a));
  await writeFile(
    join(root, 'eventsmith.config.yaml'),
    'domains:\n  - input: domain\n    output: generated\n    userDir: src\n',
  );
  const config = await loadConfig(join(root, 'eventsmith.config.yaml'));
  if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
  try {
    const cpuBefore = process.cpuUsage();
    const cold = await time(() => generateProject({ config }));
    const cpu = process.cpuUsage(cpuBefore);
    if (!cold.result.ok)
      throw new Error(
        `invalid bench domain: ${cold.result.domainErrors
          .slice(0, 3)
          .map((e) => e.message)
          .join('; ')}`,
      );
    const warm = await time(() => generateProject({ config }));
    const output = await dirSize(join(root, 'generated'));
    const user = await dirSize(join(root, 'src'));

    await rm(join(root, 'generated'), { recursive: true, force: true });
    await rm(join(root, 'src'), { recursive: true, force: true });
    const runCli =
      (...flags: string[]) =>
      () =>
        promisify(execFile)(process.execPath, [
          join(REPO, 'generator/bin/eventsmith.js'),
          'generate',
          '--config',
          join(root, 'eventsmith.config.yaml'),
          ...flags,
        ]);
    // The format cache (node_modules/.cache/eventsmith) holds nothing for this new project yet: the
    // first run formats every file and fills it; the next reuses it; --no-cache shows the difference.
    const cacheFile = formatCacheFile(config);
    if (cacheFile) await rm(cacheFile, { force: true });
    const cli = await time(runCli());
    const cliAgain = await time(runCli());
    const cliAgainNoCache = await time(runCli('--no-cache'));
    await rm(join(root, 'generated'), { recursive: true, force: true });
    await rm(join(root, 'src'), { recursive: true, force: true });
    const cliCachedCold = await time(runCli());

    // Watch: edit one aggregate's YAML 20 times (alternately adding and removing a field). The edits
    // change a recorded event version in place, which the event lock refuses: they stand for a draft
    // that never left the machine, so the lock is dropped before each edit (outside the timing).
    const latencies: number[] = [];
    let resolveNext: ((e: WatchEvent) => void) | undefined;
    const handle = watchProject(config, { debounceMs: 50, onEvent: (e) => resolveNext?.(e) });
    await handle.ready;
    const file = join(root, 'domain', 'agg-7.yaml');
    const watchCpu = process.cpuUsage();
    for (let i = 0; i < 20; i++) {
      await rm(join(root, 'generated', 'events.lock.json'), { force: true });
      const next = new Promise<WatchEvent>((resolve) => (resolveNext = resolve));
      const started = performance.now();
      await writeFile(file, aggregateYaml(7, i % 2 === 0 ? '\n          extra: string?' : ''));
      const event = await next;
      if (event.kind !== 'generated')
        throw new Error(
          `watch run ${i}: ${event.kind}: ${
            event.kind === 'invalid'
              ? [...event.domainErrors, ...event.cliErrors].map((e) => e.message).join('; ')
              : event.kind === 'failed'
                ? String(event.error)
                : ''
          }`,
        );
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 100));
    }
    const watchCpuMs = (({ user, system }) => (user + system) / 1000 / 20)(process.cpuUsage(watchCpu));
    await handle.close();
    const yamlBytes = (
      await Promise.all((await readdir(join(root, 'domain'))).map((f) => readFile(join(root, 'domain', f))))
    ).reduce((s, b) => s + b.length, 0);

    table([
      {
        measure: 'domain',
        value: `${AGGREGATES} aggregates, ${AGGREGATES * EVENTS_PER_AGGREGATE} events, ${AGGREGATES} projections (${(yamlBytes / 1024).toFixed(0)} KiB YAML)`,
        target: '',
      },
      {
        measure: 'cold generate, in-process',
        value: `${(cold.ms / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`,
        target: '< 5 s',
      },
      { measure: 'cold generate, CLI process', value: `${(cli.ms / 1000).toFixed(2)} s`, target: '< 5 s' },
      {
        measure: 'cold generate, CLI process, format cache filled',
        value: `${(cliCachedCold.ms / 1000).toFixed(2)} s (output deleted, cache kept)`,
        target: '',
      },
      { measure: 'regenerate, nothing changed (same process)', value: `${warm.ms.toFixed(0)} ms`, target: '' },
      {
        measure: 'regenerate, nothing changed (new CLI process)',
        value: `${(cliAgain.ms / 1000).toFixed(2)} s (--no-cache: ${(cliAgainNoCache.ms / 1000).toFixed(2)} s)`,
        target: '',
      },
      {
        measure: 'watch save → last write (median of 20)',
        value: `${median(latencies).toFixed(0)} ms (p90 ${percentile(latencies, 90).toFixed(0)} ms, debounce 50 ms)`,
        target: '< 300 ms',
      },
      {
        // CPU time depends less on what else runs on the machine than the wall-clock latency does.
        measure: 'watch CPU per edit (mean of 20)',
        value: `${watchCpuMs.toFixed(0)} ms (load average ${loadavg()[0]!.toFixed(1)})`,
        target: '',
      },
      {
        measure: 'generated output',
        value: `${output.files} files, ${(output.bytes / 1024 / 1024).toFixed(2)} MiB`,
        target: '',
      },
      {
        measure: 'user-owned files created',
        value: `${user.files} files, ${(user.bytes / 1024).toFixed(0)} KiB`,
        target: '',
      },
    ]);
  } finally {
    await rm(root, { recursive: true, force: true });
    const cacheFile = formatCacheFile(config);
    if (cacheFile) await rm(cacheFile, { force: true });
  }
}
