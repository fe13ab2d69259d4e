/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** Whether each stream takes colour (see {@link colorEnabled}); no colour when absent. */
  readonly color?: { readonly out: boolean; readonly err: boolean };
}

/** A stream the CLI may colour: only a terminal is, unless the environment says otherwise. */
export interface ColorTarget {
  readonly isTTY?: boolean;
}

/**
 * Whether to colour what goes to `stream`, by the conventions every CLI follows:
 * `FORCE_COLOR` (any value but `0` or `false`) turns colour on even when piped, `FORCE_COLOR=0`
 * and `NO_COLOR` (any non-empty value, https://no-color.org) turn it off, and otherwise only a
 * terminal that is not `TERM=dumb` gets colour.
 */
export function colorEnabled(stream: ColorTarget, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  if (env['NO_COLOR']) return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** The process's own streams, coloured when they are terminals (honouring NO_COLOR and FORCE_COLOR). */
export const processIo: CliIo = {
  cwd: process.cwd(),
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  color: { out: colorEnabled(process.stdout), err: colorEnabled(process.stderr) },
};
