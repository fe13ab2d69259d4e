import { lstatSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { codeFrameColumns } from '@babel/code-frame';
import pc from 'picocolors';

/** The styles the CLI uses; each is the identity when colour is off. */
export type Style = ReturnType<typeof pc.createColors>;

/** The styles for a stream that does or does not take colour. */
export function styleFor(color: boolean | undefined): Style {
  return pc.createColors(color === true);
}

/**
 * The lines of a YAML file around `line:col` with a caret under the column, as Prisma and Babel
 * print them, indented to sit under an error's first line. Empty when the file cannot be read or
 * the position is outside it (the error's `file:line:col` still says where).
 */
export function codeFrame(
  where: { readonly file: string; readonly line: number; readonly col: number },
  cwd: string,
  color: boolean,
  sources: Map<string, string | undefined> = new Map(),
): string {
  // YAML only (the domain and the config): other files errors point into, such as an event lock
  // that is not one, may hold text that must not be echoed.
  if (!/\.ya?ml$/i.test(where.file)) return '';
  const path = isAbsolute(where.file) ? where.file : resolve(cwd, where.file);
  if (!sources.has(path)) sources.set(path, readPlainFile(path));
  const source = sources.get(path);
  if (source === undefined || where.line < 1) return '';
  const lines = source.split(/\r?\n/);
  if (where.line > lines.length) return '';
  // Long lines (a 5,000-character name) are cut to a window around the column, marked with `…`.
  let column = Math.max(1, where.col);
  for (let i = Math.max(0, where.line - 2); i < Math.min(lines.length, where.line + 1); i++) {
    const line = lines[i]!;
    if (line.length <= MAX_FRAME_WIDTH) continue;
    const start = i === where.line - 1 ? Math.max(0, column - 1 - MAX_FRAME_WIDTH / 2) : 0;
    lines[i] = `${start > 0 ? '…' : ''}${line.slice(start, start + MAX_FRAME_WIDTH)}…`;
    if (i === where.line - 1 && start > 0) column = column - start + 1;
  }
  const frame = codeFrameColumns(
    lines.join('\n'),
    { start: { line: where.line, column } },
    { linesAbove: 1, linesBelow: 1, highlightCode: false, forceColor: false },
  );
  const s = styleFor(color);
  return frame
    .split('\n')
    .map((l) => `  ${/^\s*\|\s*\^/.test(l) || l.startsWith('>') ? s.red(l) : s.dim(l)}`)
    .join('\n');
}

/**
 * Inserts a code frame after the first line of a formatted error or warning block
 * (`file:line:col  what`), and styles its parts: the location in bold, `fix:` in green.
 */
export function decorateBlock(
  block: string,
  where: { readonly file: string; readonly line: number; readonly col: number } | undefined,
  options: { readonly cwd: string; readonly color: boolean; readonly sources?: Map<string, string | undefined> },
): string {
  const s = styleFor(options.color);
  const [first = '', ...rest] = block.split('\n');
  const head = first.replace(/^(\S+:\d+:\d+)(\s+)(error: |warning: |info: )?/, (_m, loc: string, gap: string, sev) => {
    const label = sev === 'warning: ' ? s.yellow(sev) : sev === 'info: ' ? s.cyan(sev) : sev ? s.red(sev) : '';
    return `${s.bold(loc)}${gap}${label}`;
  });
  const frame = where ? codeFrame(where, options.cwd, options.color, options.sources) : '';
  const body = rest.map((l) =>
    l.startsWith('  fix: ') ? `  ${s.green('fix:')}${l.slice(6)}` : l.startsWith('  at ') ? s.dim(l) : l,
  );
  return [head, ...(frame ? [frame] : []), ...body].join('\n');
}

/** Frames come only from a small regular file inside the project; never a link, a FIFO or a device. */
const MAX_FRAME_SOURCE = 1024 * 1024;
/** Characters of a source line a frame shows at most. */
const MAX_FRAME_WIDTH = 120;

/**
 * The text of `path` when it is a plain file of at most 1 MiB that is not a symbolic link (the
 * loader refuses links that leave the input folders, and their text must never be printed), else
 * undefined. `lstat` first, so a FIFO is never opened (reading one would block).
 */
function readPlainFile(path: string): string | undefined {
  try {
    const stats = lstatSync(path);
    if (!stats.isFile() || stats.size > MAX_FRAME_SOURCE) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
