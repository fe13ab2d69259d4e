// Only what every run needs is imported here: each command loads its own modules (the config
// reader, the emitters, prettier, ts-morph, chokidar, the database drivers) when it runs, so
// `eventsmith --help` and `--version` start in a few tens of milliseconds.
import { checkFlags, parseArgs, type ParsedArgs } from './args.js';
import { CliFailure, usageFailure, type CliError } from './cli-error.js';
import type { EventsmithConfig } from '../config/config.js';
import { HELP } from './help.js';
import { processIo, type CliIo } from './io.js';
import { packageInfo } from '../package-info.js';
import type { OutputFormat } from './report.js';

/** Exit statuses. */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

const COMMON = ['config', 'format', 'help'];
const FLAGS: Record<string, readonly string[]> = {
  generate: [...COMMON, 'watch', 'check', 'debounce', 'strict', 'no-cache'],
  validate: [...COMMON, 'strict'],
  init: ['name', 'dir', 'help', 'format'],
  migrate: [...COMMON, 'db', 'no-rebuild'],
  check: [...COMMON, 'against'],
  docs: [...COMMON, 'out', 'check'],
  studio: [...COMMON, 'db', 'host', 'port', 'token', 'tenant', 'allow-writes'],
  // Needs no config: only the database.
  'store-id': ['format', 'help', 'db', 'rewrite-positions'],
};

/** The operations commands; ops-commands.ts checks their sub-commands and options. */
const OPS_FLAGS: Record<'events' | 'subscriptions' | 'dlq' | 'projections', readonly string[]> = {
  events: [...COMMON, 'db', 'tenant', 'limit', 'follow', 'at'],
  subscriptions: [...COMMON, 'db', 'tenant'],
  dlq: [...COMMON, 'db', 'tenant', 'subscription', 'status', 'limit', 'unscoped'],
  projections: [...COMMON, 'db', 'tenant', 'skip-failures'],
};

/**
 * The `eventsmith` command line. Returns the exit status; resolves only when a watch stops.
 * User errors print as `file:line:col  what` plus a fix, never as a stack trace (set
 * `EVENTSMITH_DEBUG=1` to see one for an internal error).
 *
 * @example
 * ```ts
 * process.exitCode = await main(['generate', '--check']);
 * ```
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const parsed = withDatabaseFromEnvironment(parseArgs(argv));
  const format: OutputFormat = !('code' in parsed) && parsed.flags.get('format') === 'json' ? 'json' : 'text';
  try {
    if ('code' in parsed) throw usage(parsed);
    const formatFlag = parsed.flags.get('format');
    if (formatFlag !== undefined && formatFlag !== 'text' && formatFlag !== 'json') {
      throw usage({
        code: 'CLI.FORMAT',
        message: `--format must be text or json, not "${String(formatFlag)}".`,
        fix: 'Write --format json for tools.',
      });
    }
    const command = parsed.command;
    if (command === undefined && parsed.flags.has('version')) {
      io.out(`${packageInfo().version}\n`);
      return EXIT.ok;
    }
    if (command === undefined || command === 'help') {
      io.out(`${HELP['main']}\n`);
      return command === undefined && !parsed.flags.has('help') ? EXIT.usage : EXIT.ok;
    }
    const allowed = FLAGS[command] ?? OPS_FLAGS[command as keyof typeof OPS_FLAGS];
    if (!allowed) {
      const known = [...Object.keys(FLAGS), ...Object.keys(OPS_FLAGS)];
      const close = known.find((k) => k.startsWith(command.slice(0, 3)));
      throw usage({
        code: 'CLI.UNKNOWN_COMMAND',
        message: `Unknown command "${command}".${close ? ` Did you mean "${close}"?` : ''}`,
        fix: `Commands: ${known.join(', ')}. See \`eventsmith --help\`.`,
      });
    }
    if (parsed.flags.has('help')) {
      io.out(`${HELP[command]}\n`);
      return EXIT.ok;
    }
    if (command in OPS_FLAGS) {
      const { checkOpsRequest, runOps } = await import('./ops-commands.js');
      const request = {
        command: command as keyof typeof OPS_FLAGS,
        positionals: parsed.positionals,
        flags: parsed.flags,
        format,
      };
      checkOpsRequest(request);
      return await runOps(io, await config(io, parsed), request);
    }
    if (command === 'store-id') {
      const bad = checkFlags({ ...parsed, positionals: [] }, allowed, command);
      if (bad) throw usage(bad);
      const { runStoreId } = await import('./store-id-command.js');
      return await runStoreId(io, parsed, format);
    }
    const bad = checkFlags(parsed, allowed, command);
    if (bad) throw usage(bad);
    switch (command) {
      case 'init': {
        const { initProject } = await import('./init-command.js');
        await initProject(io, { ...optional('name', parsed), ...optional('dir', parsed), format });
        return EXIT.ok;
      }
      case 'validate':
        return await validate(io, await config(io, parsed), parsed, format);
      case 'generate':
        checkGenerateOptions(parsed, format);
        return await generate(io, await config(io, parsed), parsed, format);
      case 'check': {
        const against = parsed.flags.get('against');
        if (typeof against !== 'string')
          throw usage({
            code: 'CLI.MISSING_FLAG',
            message: '`eventsmith check` needs --against <git ref or lock file>.',
            fix: 'For example: eventsmith check --against origin/main',
          });
        const { checkAgainst } = await import('./check-command.js');
        return await checkAgainst(io, await config(io, parsed), against, format);
      }
      case 'docs': {
        const out = parsed.flags.get('out');
        const { writeDocs } = await import('./docs-command.js');
        return await writeDocs(
          io,
          await config(io, parsed),
          { ...(typeof out === 'string' ? { out } : {}), check: parsed.flags.has('check') },
          format,
        );
      }
      case 'migrate': {
        const db = parsed.flags.get('db');
        if (typeof db !== 'string')
          throw usage({
            code: 'CLI.MISSING_FLAG',
            message: '`eventsmith migrate` needs --db <url>.',
            fix: 'For example: eventsmith migrate --db sqlite:app.db (or set the EVENTSMITH_DB environment variable).',
          });
        const { migrateDatabase } = await import('./migrate-command.js');
        await migrateDatabase(io, await config(io, parsed), db, format, {
          rebuild: !parsed.flags.has('no-rebuild'),
        });
        return EXIT.ok;
      }
      case 'studio': {
        const db = parsed.flags.get('db');
        if (typeof db !== 'string')
          throw usage({
            code: 'CLI.MISSING_FLAG',
            message: '`eventsmith studio` needs --db <url>.',
            fix: 'For example: eventsmith studio --db sqlite:app.db (or set the EVENTSMITH_DB environment variable).',
          });
        const { runStudio } = await import('./studio-command.js');
        return await runStudio(
          io,
          await config(io, parsed),
          {
            db,
            ...optional('host', parsed),
            ...optional('port', parsed),
            ...optional('token', parsed),
            ...optional('tenant', parsed),
            allowWrites: parsed.flags.has('allow-writes'),
          },
          format,
        );
      }
    }
    return EXIT.usage;
  } catch (error) {
    if (error instanceof CliFailure) {
      const { printErrors } = await import('./report.js');
      printErrors(io, format, [], error.errors, error.outcome ?? outcomeOf(parsed));
      return (error as CliFailure & { usage?: boolean }).usage ? EXIT.usage : EXIT.failed;
    }
    io.err(
      `eventsmith: internal error: ${error instanceof Error ? error.message : String(error)}\nThis is a bug in eventsmith; please report it with the YAML that caused it.${process.env['EVENTSMITH_DEBUG'] ? `\n${error instanceof Error ? error.stack : ''}` : ' (EVENTSMITH_DEBUG=1 shows a stack trace.)'}\n`,
    );
    return EXIT.internal;
  }
}

async function validate(io: CliIo, config: EventsmithConfig, args: ParsedArgs, format: OutputFormat): Promise<number> {
  const [{ generateProject }, { printErrors }, flow] = await Promise.all([
    import('../generate-project.js'),
    import('./report.js'),
    import('./diagnostics-report.js'),
  ]);
  const outcome = await generateProject({ config, validateOnly: true, strict: args.flags.has('strict') });
  if (!outcome.ok) {
    if (outcome.diagnostics) flow.printStrictRefusal(io, format, outcome.diagnostics, { wouldWrite: false });
    else printErrors(io, format, outcome.domainErrors, outcome.cliErrors);
    return EXIT.failed;
  }
  if (format === 'json') {
    io.out(flow.diagnosticsJson(outcome.diagnostics));
    return EXIT.ok;
  }
  flow.printDiagnostics(io, outcome.diagnostics, { info: true });
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  const domains = outcome.models.map(
    (m) =>
      `${m.name} (${count(m.aggregates.length, 'aggregate')}, ${count(m.events.length, 'event')}, ${count(m.projections.length, 'projection')})`,
  );
  io.out(`eventsmith: ${domains.join(', ')}: valid${flow.diagnosticsSuffix(outcome.diagnostics)}.\n`);
  return EXIT.ok;
}

async function generate(io: CliIo, config: EventsmithConfig, args: ParsedArgs, format: OutputFormat): Promise<number> {
  const check = args.flags.has('check');
  if (args.flags.has('watch')) return watch(io, config, args, format);
  const [
    { generateProject },
    { printCheckReport, printErrors, printWriteReport },
    flow,
    { formatCacheFile, openFormatCache },
  ] = await Promise.all([
    import('../generate-project.js'),
    import('./report.js'),
    import('./diagnostics-report.js'),
    import('../format/format-cache.js'),
  ]);
  const started = performance.now();
  // Prettier's results for texts an earlier run formatted (node_modules/.cache/eventsmith): a run
  // that changes little formats little. Same output with or without it.
  const cache = openFormatCache(args.flags.has('no-cache') ? undefined : formatCacheFile(config));
  const outcome = await generateProject({
    config,
    dryRun: check,
    strict: args.flags.has('strict'),
    format: cache.format,
  });
  if (outcome.ok) await cache.save();
  if (!outcome.ok) {
    if (outcome.diagnostics) flow.printStrictRefusal(io, format, outcome.diagnostics, { wouldWrite: !check });
    else printErrors(io, format, outcome.domainErrors, outcome.cliErrors);
    return EXIT.failed;
  }
  const failed = check && outcome.report.changes.length > 0;
  // Once per run, with the write stage's warnings: a CommonJS project would fail only when it runs.
  const { packageTypeWarnings } = await import('../config/package-type.js');
  const report = { ...outcome.report, warnings: [...outcome.report.warnings, ...(await packageTypeWarnings(config))] };
  if (format === 'json') {
    const { changes, unchanged, warnings } = report;
    io.out(
      flow.diagnosticsJson(outcome.diagnostics, {
        changes: changes.map((c) => ({ path: c.path, kind: c.kind })),
        unchanged,
        fileWarnings: warnings,
      }),
    );
    return failed ? EXIT.failed : EXIT.ok;
  }
  if (check) printCheckReport(io, report);
  else
    printWriteReport(
      io,
      report,
      outcome.models.map((m) => m.name),
      performance.now() - started,
    );
  flow.printFlowWarnings(io, outcome.diagnostics);
  return failed ? EXIT.failed : EXIT.ok;
}

/** Refuses `generate` options that cannot go together or do not apply, before anything is read. */
function checkGenerateOptions(args: ParsedArgs, format: OutputFormat): void {
  const check = args.flags.has('check');
  if (check && args.flags.has('watch'))
    throw usage({
      code: 'CLI.CONFLICT',
      message: '--check and --watch cannot be combined.',
      fix: 'Use --check in CI and --watch while editing.',
    });
  if (args.flags.has('strict') && args.flags.has('watch'))
    throw usage({
      code: 'CLI.CONFLICT',
      message: '--strict and --watch cannot be combined.',
      fix: 'Use --strict in CI; --watch prints the warnings and keeps going.',
    });
  if (args.flags.has('debounce') && !args.flags.has('watch'))
    throw usage({
      code: 'CLI.NOT_APPLICABLE',
      message: '--debounce applies only with --watch.',
      fix: 'Write `eventsmith generate --watch --debounce 200`, or drop --debounce.',
    });
  if (args.flags.has('watch') && format === 'json')
    throw usage({
      code: 'CLI.NOT_APPLICABLE',
      message: '--format json does not apply to --watch, which reports for people as it goes.',
      fix: 'Use `eventsmith generate --format json` for one run that tools read.',
    });
}

async function watch(io: CliIo, config: EventsmithConfig, args: ParsedArgs, format: OutputFormat): Promise<number> {
  const debounce = Number(args.flags.get('debounce') ?? 100);
  if (!Number.isFinite(debounce) || debounce < 0)
    throw usage({
      code: 'CLI.DEBOUNCE',
      message: '--debounce must be a number of milliseconds.',
      fix: 'For example --debounce 200.',
    });
  const [
    { watchProject },
    { printErrors, printWarnings, printWriteReport },
    flow,
    { formatCacheFile, openFormatCache },
    { formatSource },
  ] = await Promise.all([
    import('../watch/watch-project.js'),
    import('./report.js'),
    import('./diagnostics-report.js'),
    import('../format/format-cache.js'),
    import('../format/format-source.js'),
  ]);
  // The first run, which formats every file, takes prettier's results from the format cache; later
  // runs format only the files whose emitted text changed (the watch's own memo), without it.
  const cache = openFormatCache(args.flags.has('no-cache') ? undefined : formatCacheFile(config));
  let firstRun = true;
  const { packageTypeWarnings } = await import('../config/package-type.js');
  printWarnings(io, await packageTypeWarnings(config));
  const handle = watchProject(config, {
    debounceMs: debounce,
    format: (path, text, kind) => (firstRun ? cache.format : formatSource)(path, text, kind),
    onEvent: (event) => {
      switch (event.kind) {
        case 'ready':
          io.out('eventsmith: watching the domain YAML; press Ctrl-C to stop.\n');
          break;
        case 'generated':
          printWriteReport(io, event.report, event.domains, event.ms);
          flow.printFlowWarnings(io, event.diagnostics);
          break;
        case 'invalid':
          printErrors(io, format, event.domainErrors, event.cliErrors);
          io.err('eventsmith: still watching; fix the error and save.\n');
          break;
        case 'failed':
          io.err(
            `eventsmith: ${event.error instanceof Error ? event.error.message : String(event.error)}; still watching.\n`,
          );
          break;
      }
    },
  });
  await handle.ready;
  firstRun = false;
  await cache.save();
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await handle.close();
  printWarnings(io, []);
  return EXIT.ok;
}

async function config(io: CliIo, args: ParsedArgs): Promise<EventsmithConfig> {
  const { findConfig, loadConfig } = await import('../config/config.js');
  const explicit = args.flags.get('config');
  const found = await findConfig(io.cwd, typeof explicit === 'string' ? explicit : undefined);
  if (typeof found !== 'string') throw new CliFailure([found]);
  const loaded = await loadConfig(found);
  if (Array.isArray(loaded)) throw new CliFailure(loaded);
  return loaded;
}

function optional(name: string, args: ParsedArgs): Record<string, string> {
  const value = args.flags.get(name);
  return typeof value === 'string' ? { [name]: value } : {};
}

/**
 * What a failed command's errors end with, unless the failure says (`CliFailure.outcome`): the
 * operations commands, the studio and store-id work on a database, not files, so they print the count alone;
 * every other command, "nothing was written".
 */
function outcomeOf(parsed: ParsedArgs | CliError): string | null | undefined {
  const command = 'code' in parsed ? undefined : parsed.command;
  return command !== undefined && (command in OPS_FLAGS || command === 'studio' || command === 'store-id')
    ? null
    : undefined;
}

function usage(error: CliError): CliFailure {
  return usageFailure(error);
}

/** The commands that open a database with --db. */
const DATABASE_COMMANDS: ReadonlySet<string> = new Set([
  'migrate',
  'studio',
  'events',
  'subscriptions',
  'dlq',
  'projections',
  'store-id',
]);

/**
 * `--db` from the `EVENTSMITH_DB` environment variable when the command opens a database and the
 * flag is not given: a URL with a password then stays out of the process list and shell history.
 */
function withDatabaseFromEnvironment<T extends ParsedArgs | object>(parsed: T): T {
  const url = process.env['EVENTSMITH_DB'];
  if (!url || !('flags' in parsed)) return parsed;
  const args = parsed as ParsedArgs;
  if (args.command === undefined || !DATABASE_COMMANDS.has(args.command) || args.flags.has('db')) return parsed;
  return { ...args, flags: new Map([...args.flags, ['db', url]]) } as T;
}
