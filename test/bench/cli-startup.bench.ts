/**
 * CLI start-up, as a whole process: `eventsmith --help` and `eventsmith --version` as a user runs
 * them (the compiled CLI, plain Node), next to a bare `node -e ''` (the floor no CLI can beat) and
 * to the CLI run from the TypeScript sources through tsx (how it runs inside this repository).
 * Rounds are interleaved so that a busy machine slows every command alike. Target: --help < 300 ms.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { median, percentile, ratio, table } from './harness.js';

const REPO = join(fileURLToPath(import.meta.url), '..', '..', '..');
const BIN = join(REPO, 'generator', 'bin', 'eventsmith.js');
const ROUNDS = 15;
const run = promisify(execFile);

interface Command {
  readonly label: string;
  readonly args: readonly string[];
  readonly env?: Record<string, string>;
}

export default async function bench(): Promise<void> {
  if (!existsSync(join(REPO, 'generator', 'dist', 'cli', 'main.js'))) {
    console.log('generator/dist is missing: building the packages first (npm run build).');
    await run('npm', ['run', 'build'], { cwd: REPO });
  }
  const { version } = JSON.parse(await readFile(join(REPO, 'generator', 'package.json'), 'utf8')) as {
    version: string;
  };
  // Children get a clean environment: no loader flags inherited from the bench's own tsx.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS')) as Record<
    string,
    string
  >;
  const commands: Command[] = [
    { label: "node -e ''", args: ['-e', ''] },
    { label: 'eventsmith --help (compiled)', args: [BIN, '--help'], env: { EVENTSMITH_CLI: 'dist' } },
    { label: 'eventsmith --version (compiled)', args: [BIN, '--version'], env: { EVENTSMITH_CLI: 'dist' } },
    { label: 'eventsmith --help (sources through tsx)', args: [BIN, '--help'] },
  ];
  const samples = commands.map(() => [] as number[]);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, command] of commands.entries()) {
      const started = performance.now();
      const { stdout } = await run(process.execPath, command.args, { env: { ...env, ...command.env } });
      const ms = performance.now() - started;
      if (command.args.includes('--version') && stdout !== `${version}\n`)
        throw new Error(`eventsmith --version printed ${JSON.stringify(stdout)}, not ${version}`);
      if (command.args.includes('--help') && !stdout.includes('Usage: eventsmith'))
        throw new Error(`eventsmith --help printed ${JSON.stringify(stdout.slice(0, 200))}`);
      if (round > 0) samples[i]!.push(ms); // round 0 warms the file cache
    }
  }
  const floor = median(samples[0]!);
  table(
    commands.map((command, i) => ({
      command: command.label,
      median: `${median(samples[i]!).toFixed(0)} ms`,
      p90: `${percentile(samples[i]!, 90).toFixed(0)} ms`,
      'over node': `${median(samples[i]!) - floor >= 0 ? '+' : ''}${(median(samples[i]!) - floor).toFixed(0)} ms (${ratio(median(samples[i]!), floor)})`,
      target: command.label.startsWith('eventsmith --help (compiled)') ? '< 300 ms' : '',
    })),
  );
  console.log(
    `${ROUNDS} interleaved rounds; load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores.`,
  );
}
