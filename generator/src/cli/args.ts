import type { CliError } from './cli-error.js';

/** Parsed command line: the command, its flags and positional arguments. */
export interface ParsedArgs {
  readonly command: string | undefined;
  readonly flags: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

/** Flags that take a value; everything else is a boolean switch. */
const VALUE_FLAGS = new Set([
  'config',
  'format',
  'db',
  'name',
  'dir',
  'debounce',
  'against',
  'out',
  'host',
  'port',
  'token',
  'tenant',
  'limit',
  'at',
  'subscription',
  'status',
]);
const ALIASES: Record<string, string> = { h: 'help', v: 'version', c: 'config', w: 'watch' };

/**
 * `eventsmith generate --watch --config x.yaml` → `{ command: 'generate', flags: { watch: true, config: 'x.yaml' } }`.
 * Accepts `--flag value`, `--flag=value` and the short forms `-h`, `-v`, `-c`, `-w`.
 */
export function parseArgs(argv: readonly string[]): ParsedArgs | CliError {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const long = /^--([a-z][a-z-]*)(?:=(.*))?$/.exec(arg);
    const short = /^-([a-z])$/.exec(arg);
    if (long || short) {
      const name = long ? long[1]! : (ALIASES[short![1]!] ?? short![1]!);
      let value: string | true = long?.[2] ?? true;
      if (VALUE_FLAGS.has(name) && value === true) {
        const next = argv[i + 1];
        // A negative number is a value (the command says what range it takes), not an option.
        if (next === undefined || (next.startsWith('-') && !/^-\d/.test(next))) {
          return {
            code: 'CLI.MISSING_VALUE',
            message: `--${name} needs a value.`,
            fix: `Write --${name} <value>; see \`eventsmith ${command ?? ''} --help\`.`.replace('  ', ' '),
          };
        }
        value = next;
        i++;
      }
      flags.set(name, value);
    } else if (command === undefined) {
      command = arg;
    } else {
      positionals.push(arg);
    }
  }
  return { command, flags, positionals };
}

/** Rejects flags a command does not know, with a suggestion. */
export function checkFlags(args: ParsedArgs, allowed: readonly string[], command: string): CliError | undefined {
  for (const name of args.flags.keys()) {
    if (!allowed.includes(name)) {
      const close = allowed.find((a) => a.startsWith(name.slice(0, 2)));
      return {
        code: 'CLI.UNKNOWN_FLAG',
        message: `Unknown option --${name} for \`eventsmith ${command}\`.${close ? ` Did you mean --${close}?` : ''}`,
        fix: `See \`eventsmith ${command} --help\`.`,
      };
    }
  }
  if (args.positionals.length > 0) {
    return {
      code: 'CLI.UNEXPECTED_ARGUMENT',
      message: `Unexpected argument "${args.positionals[0]}".`,
      fix: `See \`eventsmith ${command} --help\`.`,
    };
  }
  return undefined;
}
