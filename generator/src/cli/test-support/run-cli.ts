import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../io.js';
import { main } from '../main.js';

/** A {@link CliIo} for `cwd` that keeps what the CLI prints; `color` sets both streams' colour. */
export function captureIo(cwd: string, color?: boolean): { io: CliIo; out(): string; err(): string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    cwd,
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    ...(color === undefined ? {} : { color: { out: color, err: color } }),
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

/** Runs the CLI in `cwd`; resolves with its exit status and what it printed. */
export async function runCli(cwd: string, ...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const captured = captureIo(cwd);
  const status = await main(argv, captured.io);
  return { status, out: captured.out(), err: captured.err() };
}

/**
 * Starts `eventsmith generate --watch` in `cwd` as its own process (it runs until a signal), waits
 * until `ready` says it may be looked at (polled every 50 ms, up to a minute), then stops it with
 * SIGTERM; resolves with everything it printed on both streams.
 */
export async function watchUntil(cwd: string, ready: (printed: string) => boolean | Promise<boolean>): Promise<string> {
  const bin = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'bin', 'eventsmith.js');
  const child = spawn(process.execPath, [bin, 'generate', '--watch'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout.on('data', (d: Buffer) => void (printed += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (printed += d.toString()));
  const exited = once(child, 'exit');
  try {
    const started = Date.now();
    while (!(await ready(printed))) {
      if (Date.now() - started > 60_000 || child.exitCode !== null)
        throw new Error(`generate --watch did not get there: ${printed}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return printed;
}
