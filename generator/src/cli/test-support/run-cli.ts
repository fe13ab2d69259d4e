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
