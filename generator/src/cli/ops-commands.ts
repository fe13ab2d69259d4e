// The operations commands: `events tail|show`, `subscriptions status`, `dlq list|retry|resolve`
// and `projections rebuild|forget`. Each opens the store at --db with the project's generated code, does
// one thing, prints it for people or as JSON (`--format json`), and closes the store.
import { DeadLetterEntryNotFoundError, type DeadLetterStatus } from '@eventsmith/runtime';
import type { EventsmithConfig } from '../config/config.js';
import type { EventView } from '../ops/event-views.js';
import { OpsFailure } from '../ops/ops-failure.js';
import { parseDatabaseUrl } from '../ops/database-url.js';
import { loadProjectCode } from '../ops/project-code.js';
import { NotRetryableError, StoreInspector, type DeadLetterQuery } from '../ops/store-inspector.js';
import { CliFailure, cliFailureOf, usageFailure, type CliError } from './cli-error.js';
import type { CliIo } from './io.js';
import { plural, type OutputFormat } from './report.js';
import { rebuildJson, rebuildText, rebuildWithProgress } from './rebuild-output.js';
import { styleFor } from './terminal.js';

/** Each operations command, its sub-commands and the options they take (beside config, format, help, db, tenant). */
export const OPS_COMMANDS = {
  events: { tail: ['limit', 'follow'], show: ['at'] },
  subscriptions: { status: [] },
  dlq: { list: ['subscription', 'status', 'limit', 'unscoped'], retry: ['subscription', 'all'], resolve: [] },
  projections: { rebuild: ['skip-failures'], forget: [] },
} as const satisfies Record<string, Record<string, readonly string[]>>;

export type OpsCommand = keyof typeof OPS_COMMANDS;

/** What each sub-command needs after its name: `events show <stream>`. */
const ARGUMENT: Record<string, string | undefined> = {
  'events show': 'stream',
  'dlq retry': 'id',
  'dlq resolve': 'id',
  'projections rebuild': 'projection',
  'projections forget': 'name',
};

export interface OpsRequest {
  readonly command: OpsCommand;
  readonly positionals: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
  readonly format: OutputFormat;
}

/**
 * Checks the sub-command, its argument and options before anything is loaded; returns the
 * sub-command and its argument.
 */
export function checkOpsRequest(request: OpsRequest): { sub: string; argument: string | undefined } {
  const { command, positionals, flags } = request;
  const subs = OPS_COMMANDS[command] as Record<string, readonly string[]>;
  const names = Object.keys(subs);
  const sub = positionals[0];
  if (sub === undefined || !(sub in subs))
    throw usageError({
      code: 'CLI.UNKNOWN_COMMAND',
      message:
        sub === undefined
          ? `\`eventsmith ${command}\` needs a sub-command: ${names.join(', ')}.`
          : `Unknown sub-command "${sub}" of \`eventsmith ${command}\`.`,
      fix: `Write one of: ${names.map((n) => `eventsmith ${command} ${n}`).join(', ')}. See \`eventsmith ${command} --help\`.`,
    });
  // `dlq retry --subscription <name>` and `dlq retry --all` retry many entries, and take no id.
  const bulk = command === 'dlq' && sub === 'retry' && (flags.has('subscription') || flags.has('all'));
  const needs = bulk ? undefined : ARGUMENT[`${command} ${sub}`];
  const argument = positionals[1];
  if (bulk && argument !== undefined)
    throw usageError({
      code: 'CLI.UNEXPECTED_ARGUMENT',
      message: `\`eventsmith dlq retry\` takes an entry's id, or --subscription <name> or --all for many entries, not both.`,
      fix: 'Write `eventsmith dlq retry <id> --db <url>` for one entry, or `eventsmith dlq retry --subscription <name> --db <url>` for every pending entry of a subscription.',
    });
  if (needs !== undefined && argument === undefined)
    throw usageError({
      code: 'CLI.MISSING_ARGUMENT',
      message: `\`eventsmith ${command} ${sub}\` needs the ${needs}.`,
      fix:
        `Write \`eventsmith ${command} ${sub} <${needs}> --db <url>\`` +
        (command === 'dlq' && sub === 'retry'
          ? ', or `eventsmith dlq retry --subscription <name> --db <url>` (`--all`: of every subscription) to retry every pending entry.'
          : '.'),
    });
  const extra = positionals[needs === undefined ? 1 : 2];
  if (extra !== undefined)
    throw usageError({
      code: 'CLI.UNEXPECTED_ARGUMENT',
      message: `Unexpected argument "${extra}".`,
      fix: `See \`eventsmith ${command} --help\`.`,
    });
  const own = new Set<string>(['config', 'format', 'help', 'db', 'tenant', ...subs[sub]!]);
  for (const name of flags.keys()) {
    if (own.has(name)) continue;
    const elsewhere = names.filter((n) => n !== sub && subs[n]!.includes(name));
    throw usageError({
      code: elsewhere.length ? 'CLI.NOT_APPLICABLE' : 'CLI.UNKNOWN_FLAG',
      message: elsewhere.length
        ? `--${name} applies to \`eventsmith ${command} ${elsewhere.join('|')}\`, not to \`${sub}\`.`
        : `Unknown option --${name} for \`eventsmith ${command} ${sub}\`.`,
      fix: `See \`eventsmith ${command} --help\`.`,
    });
  }
  if (typeof flags.get('db') !== 'string')
    throw usageError({
      code: 'CLI.MISSING_FLAG',
      message: `\`eventsmith ${command} ${sub}\` needs --db <url>.`,
      fix: `For example: eventsmith ${command} ${sub}${argument !== undefined ? ` ${argument}` : ''} --db sqlite:app.db (or set the EVENTSMITH_DB environment variable).`,
    });
  if (flags.has('unscoped') && flags.has('tenant'))
    throw usageError({
      code: 'CLI.NOT_APPLICABLE',
      message: '--unscoped and --tenant ask for different dead letters; pass one of them.',
      fix: "--tenant <id> for a tenant's dead letters, --unscoped for those of the unscoped store's subscriptions.",
    });
  if (flags.has('follow') && request.format === 'json')
    throw usageError({
      code: 'CLI.NOT_APPLICABLE',
      message: '--format json does not apply to --follow.',
      fix: 'Use `eventsmith events tail --format json` for one read that tools parse.',
    });
  return { sub, argument };
}

/** Runs an operations command; resolves with the exit status. */
export async function runOps(
  io: CliIo,
  config: EventsmithConfig,
  request: OpsRequest,
  stopped: () => Promise<void> = interrupted,
): Promise<number> {
  const { sub, argument } = checkOpsRequest(request);
  const { flags, format } = request;
  const limit = positiveInteger(flags, 'limit');
  const at = positiveInteger(flags, 'at', 0);
  const status = flags.get('status');
  if (status !== undefined && status !== 'pending' && status !== 'retrying' && status !== 'resolved')
    throw usageError({
      code: 'CLI.STATUS',
      message: `--status must be pending, retrying or resolved, not "${String(status)}".`,
      fix: 'For example --status pending.',
    });
  const tenant = flags.get('tenant');
  let inspector: StoreInspector;
  try {
    // A --db of no known database is a usage error (exit 2), before the project's code is loaded.
    parseDatabaseUrl(flags.get('db') as string, io.cwd);
    inspector = await StoreInspector.open({
      url: flags.get('db') as string,
      cwd: io.cwd,
      code: await loadProjectCode(config),
      ...(typeof tenant === 'string' ? { tenantId: tenant } : {}),
    });
  } catch (error) {
    // No store at the URL, or project code that does not load: the user's to fix (exit 1), not a bug.
    throw asCliFailure(error);
  }
  const out = new Output(io, format);
  try {
    switch (`${request.command} ${sub}`) {
      case 'events tail':
        return await tail(inspector, out, limit ?? 20, flags.has('follow'), stopped);
      case 'events show':
        return await show(inspector, out, argument!, at);
      case 'subscriptions status':
        return await subscriptionsStatus(inspector, out);
      case 'dlq list':
        return await deadLetters(inspector, out, {
          ...(typeof flags.get('subscription') === 'string'
            ? { subscription: flags.get('subscription') as string }
            : {}),
          ...(status !== undefined ? { status: status as DeadLetterStatus } : {}),
          // The dead letters `subscriptions status` counts in its rows of tenant -.
          ...(flags.has('unscoped') ? { tenantId: null } : {}),
          limit: limit ?? 200,
        });
      case 'dlq retry': {
        if (argument === undefined) {
          const subscription = flags.get('subscription');
          return await retryPending(inspector, out, typeof subscription === 'string' ? subscription : undefined);
        }
        const outcome = await inspector.retryDeadLetter(argument!, 'eventsmith-cli');
        // The handler's new error, which the entry now holds in place of the old one.
        const error = outcome === 'failed' ? (await inspector.deadLetter(argument!)).error : undefined;
        out.result({ id: argument, outcome, ...(error !== undefined ? { error } : {}) }, () =>
          outcome === 'resolved'
            ? `Retried ${argument}: the handler succeeded; the entry is resolved.`
            : outcome === 'skipped'
              ? `${argument} was already resolved; nothing to retry.`
              : `Retried ${argument}: the handler failed again; the entry is pending with one more attempt counted.\n  ${errorLine(error ?? '')}`,
        );
        return outcome === 'failed' ? 1 : 0;
      }
      case 'dlq resolve':
        await inspector.resolveDeadLetter(argument!, 'eventsmith-cli');
        out.result({ id: argument, status: 'resolved' }, () => `Resolved ${argument} without re-delivering it.`);
        return 0;
      case 'projections rebuild':
        return await rebuild(inspector, out, argument!, flags.has('skip-failures'));
      case 'projections forget':
        return await forget(inspector, out, argument!);
    }
    return 2;
  } catch (error) {
    throw asCliFailure(error);
  } finally {
    await inspector.close();
  }
}

/**
 * `error: <first line>` of a dead letter's error; as it is when it starts with `error:` already
 * (pg names its errors `error`, so an entry stored from one reads `error: duplicate key …`).
 */
export function errorLine(error: string): string {
  const line = error.split('\n')[0] ?? '';
  return /^error:/i.test(line) ? line : `error: ${line}`;
}

/** Text for people or one JSON document for tools, never both. */
class Output {
  readonly style: ReturnType<typeof styleFor>;
  constructor(
    readonly io: CliIo,
    readonly format: OutputFormat,
  ) {
    this.style = styleFor(io.color?.out);
  }
  /** Prints `json` as JSON, or `text()` for people. */
  result(json: unknown, text: () => string): void {
    this.io.out(this.format === 'json' ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
  }
  line(text: string): void {
    this.io.out(`${text}\n`);
  }
}

async function tail(
  inspector: StoreInspector,
  out: Output,
  limit: number,
  follow: boolean,
  stopped: () => Promise<void>,
): Promise<number> {
  const { events, head } = await inspector.tail(limit);
  let last = head;
  if (!follow) {
    out.result({ events }, () =>
      events.length ? events.map((e) => eventLine(e, out)).join('\n') : 'The store holds no events yet.',
    );
    return 0;
  }
  for (const event of events) out.line(eventLine(event, out));
  out.io.err('eventsmith: following the feed; press Ctrl-C to stop.\n');
  let stop = false;
  const signal = stopped().then(() => {
    stop = true;
  });
  while (!stop) {
    const next = await inspector.feed(last, 500);
    for (const event of next) out.line(eventLine(event, out));
    if (next.length > 0) last = next.at(-1)!.position;
    else await Promise.race([new Promise((resolve) => setTimeout(resolve, 500)), signal]);
  }
  return 0;
}

function eventLine(event: EventView, out: Output): string {
  const s = out.style;
  const data = JSON.stringify(event.data);
  return `${s.dim(event.position)}  ${s.dim(event.storedAt)}  ${s.bold(`${event.streamId}@${event.version}`)}  ${s.cyan(event.eventType)}  ${data.length > 160 ? `${data.slice(0, 157)}...` : data}`;
}

async function show(inspector: StoreInspector, out: Output, streamId: string, at: number | undefined): Promise<number> {
  if (at === undefined) {
    const events = await inspector.timeline(streamId);
    out.result({ streamId, events }, () => {
      const s = out.style;
      return events
        .map((e) =>
          [
            `${s.bold(`v${e.version}`)}  ${s.cyan(e.eventType)} (schema v${e.eventVersion})  ${e.storedAt}  ${s.dim(e.position)}`,
            `    data: ${JSON.stringify(e.data)}`,
            `    event ${e.eventId}, correlation ${e.correlationId}${e.causationId ? `, caused by ${e.cause ? `${e.cause.eventType} ${e.cause.streamId}@${e.cause.version}` : e.causationId}` : ''}`,
            ...e.caused.map((c) => `    caused ${c.eventType} ${c.streamId}@${c.version}`),
            ...(Object.keys(e.metadata).length ? [`    metadata: ${JSON.stringify(e.metadata)}`] : []),
          ].join('\n'),
        )
        .join('\n');
    });
    return 0;
  }
  const history = await inspector.history(streamId, at);
  const state = history.at(-1)!;
  if (state.version < at)
    throw new CliFailure([
      {
        code: 'OPS.NO_SUCH_VERSION',
        message: `${streamId} is at version ${state.version}; it has no version ${at}.`,
        fix: `Pass --at 0..${state.version}.`,
      },
    ]);
  out.result(
    { streamId, version: state.version, eventType: state.eventType, state: state.state, diff: state.diff },
    () => {
      const s = out.style;
      const diff = state.diff
        .filter((d) => d.kind !== 'same')
        .flatMap((d) =>
          d.text
            .replace(/\n$/, '')
            .split('\n')
            .map((l) => (d.kind === 'added' ? s.green(`+ ${l}`) : s.red(`- ${l}`))),
        );
      return [
        `${s.bold(`${streamId} at version ${state.version}`)}${state.eventType ? ` (after ${state.eventType})` : ' (before its first event)'}:`,
        JSON.stringify(state.state, null, 2),
        ...(diff.length ? ['', `Changed by version ${state.version}:`, ...diff] : []),
      ].join('\n');
    },
  );
  return 0;
}

async function subscriptionsStatus(inspector: StoreInspector, out: Output): Promise<number> {
  const subscriptions = await inspector.subscriptions();
  out.result({ subscriptions }, () => {
    if (subscriptions.length === 0) return 'No subscription has a checkpoint yet, and the project has no projections.';
    // One row per subscription and scope; the tenant column only where tenants have their own.
    const tenants = subscriptions.some((s) => s.tenantId !== null);
    const due = subscriptions.filter(
      (s, i) => s.needsRebuild && subscriptions.findIndex((o) => o.name === s.name) === i,
    );
    const notes = due.map((s) =>
      s.projection
        ? `\n${s.name} needs a rebuild: migration ${s.needsRebuild!.migration} emptied or reset its table on ${s.needsRebuild!.since}, ` +
          `and it has not been rebuilt since. Run \`eventsmith projections rebuild ${s.name}\` (or \`eventsmith migrate\`).`
        : `\n${s.name} is marked as needing a rebuild (migration ${s.needsRebuild!.migration} emptied or reset its table on ${s.needsRebuild!.since}), ` +
          `but it is no longer a projection of this project: nothing to rebuild. If it was removed or renamed for good, run ` +
          `\`eventsmith projections forget ${s.name}\` to drop what the database keeps of it.`,
    );
    return `${table(
      [
        'name',
        ...(tenants ? ['tenant'] : []),
        'kind',
        'position',
        'lag (events)',
        'lag (s)',
        'dead letters',
        'updated',
        ...(due.length > 0 ? ['rebuild'] : []),
      ],
      subscriptions.map((s) => [
        s.name,
        ...(tenants ? [s.tenantId ?? '-'] : []),
        s.projection ? 'projection' : 'subscription',
        s.position ?? '(not started)',
        `${s.lagEvents}${s.lagCapped ? '+' : ''}`,
        s.lagSeconds.toFixed(1),
        String(s.deadLetters.pending + s.deadLetters.retrying),
        s.updatedAt ?? '-',
        ...(due.length > 0 ? [s.needsRebuild ? 'needed' : '-'] : []),
      ]),
    )}${notes.join('')}`;
  });
  return 0;
}

async function deadLetters(
  inspector: StoreInspector,
  out: Output,
  filter: DeadLetterQuery & { limit: number },
): Promise<number> {
  const entries = await inspector.deadLetters(filter);
  out.result({ deadLetters: entries }, () => {
    if (entries.length === 0) return 'The dead-letter queue holds no entry that matches.';
    return `${table(
      ['id', 'subscription', 'status', 'attempts', 'event', 'stream', 'error'],
      entries.map((e) => [
        e.id,
        e.subscription,
        e.status,
        String(e.attempts),
        e.eventType,
        e.streamId,
        (e.error.split('\n')[0] ?? '').slice(0, 80),
      ]),
    )}\n${plural(entries.length, 'entry', 'entries')}${entries.length >= filter.limit ? ` (the first ${filter.limit}; pass --limit for more)` : ''}.`;
  });
  return 0;
}

/** What `dlq retry --subscription|--all` did with one entry. */
interface RetriedEntry {
  readonly id: string;
  readonly subscription: string;
  readonly outcome: 'resolved' | 'failed' | 'skipped';
  /** The entry's error after a failed retry (or why it could not be retried). */
  readonly error?: string;
}

/**
 * Retries every entry pending when it starts, of `subscription` (or of every subscription), in
 * id order, one after another; goes on after a failure (the entry stays pending, its attempt
 * counted) and exits 1 if any failed. An entry that fails again keeps its id, so it is not
 * retried twice; one parked while it runs is left for the next run.
 */
async function retryPending(inspector: StoreInspector, out: Output, subscription: string | undefined): Promise<number> {
  const pending: { id: string; subscription: string }[] = [];
  const page = 500;
  for (let afterId: string | undefined; ;) {
    const entries = await inspector.deadLetters({
      ...(subscription !== undefined ? { subscription } : {}),
      status: 'pending',
      limit: page,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    for (const e of entries) pending.push({ id: e.id, subscription: e.subscription });
    if (entries.length < page) break;
    afterId = entries.at(-1)!.id;
  }
  // Nothing pending under a name that is no projection here: most likely a typo, so say so.
  if (pending.length === 0 && subscription !== undefined) inspector.eventTypesOf(subscription);
  const retried: RetriedEntry[] = [];
  for (const entry of pending) {
    let result: RetriedEntry;
    try {
      const outcome = await inspector.retryDeadLetter(entry.id, 'eventsmith-cli');
      const error = outcome === 'failed' ? (await inspector.deadLetter(entry.id)).error : undefined;
      result = { ...entry, outcome, ...(error !== undefined ? { error } : {}) };
    } catch (error) {
      // Purged while this ran; or of a subscription this project has no projection of (one named
      // with --subscription is refused before any retry: its first entry throws).
      if (error instanceof DeadLetterEntryNotFoundError) result = { ...entry, outcome: 'skipped' };
      else if (error instanceof NotRetryableError && subscription === undefined)
        result = { ...entry, outcome: 'failed', error: `${error.code}: ${error.message}` };
      else throw error;
    }
    retried.push(result);
    if (out.format === 'text') out.line(retriedLine(result));
  }
  const count = (outcome: RetriedEntry['outcome']) => retried.filter((r) => r.outcome === outcome).length;
  const [resolved, failed, skipped] = [count('resolved'), count('failed'), count('skipped')];
  const scope = subscription === undefined ? 'of any subscription' : `of ${subscription}`;
  out.result(
    {
      subscription: subscription ?? null,
      tenantId: inspector.tenantId ?? null,
      resolved,
      failed,
      skipped,
      entries: retried,
    },
    () =>
      retried.length === 0
        ? `No pending dead letter ${scope}; nothing to retry.`
        : `Retried ${plural(retried.length, 'pending entry', 'pending entries')} ${scope}: ${resolved} resolved, ${failed} failed` +
          `${skipped > 0 ? `, ${skipped} skipped (resolved or purged meanwhile)` : ''}.` +
          (failed > 0 ? ' Failed entries stay pending with one more attempt counted.' : ''),
  );
  return failed > 0 ? 1 : 0;
}

function retriedLine(r: RetriedEntry): string {
  const what = r.outcome === 'failed' ? `failed  ${errorLine(r.error ?? '')}` : r.outcome;
  return `${r.id}  ${r.subscription}  ${what}`;
}

async function rebuild(inspector: StoreInspector, out: Output, name: string, skipFailures: boolean): Promise<number> {
  const report = await rebuildWithProgress(inspector, out.io, out.format, name, { skipFailures });
  out.result(rebuildJson(report), () => rebuildText(report));
  return report.failures.length + report.failuresNotListed > 0 ? 1 : 0;
}

async function forget(inspector: StoreInspector, out: Output, name: string): Promise<number> {
  const forgotten = await inspector.forgetSubscription(name);
  const tenant = inspector.tenantId;
  out.result({ ...forgotten, tenantId: tenant ?? null }, () => {
    const scope = tenant === undefined ? '' : ` of tenant ${tenant}`;
    const removed = [
      ...(forgotten.checkpoints > 0 ? [plural(forgotten.checkpoints, 'checkpoint')] : []),
      ...(forgotten.leases > 0 ? [plural(forgotten.leases, 'expired lease')] : []),
      ...(forgotten.deadLetters > 0 ? [plural(forgotten.deadLetters, 'dead letter')] : []),
      ...(forgotten.pendingRebuild ? ['its mark of needing a rebuild'] : []),
    ];
    if (removed.length === 0)
      return `Nothing is recorded for "${name}"${scope} (no checkpoint, lease, dead letter or rebuild mark): nothing to forget.`;
    const list = removed.length === 1 ? removed[0] : `${removed.slice(0, -1).join(', ')} and ${removed.at(-1)}`;
    return `Forgot ${name}${scope}: removed ${list}. No table was changed.`;
  });
  return 0;
}

/** Columns padded to their widest cell, a header and a rule. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function positiveInteger(flags: ReadonlyMap<string, string | true>, name: string, min = 1): number | undefined {
  const raw = flags.get(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(value) || value < min)
    throw usageError({
      code: 'CLI.NUMBER',
      message: `--${name} must be ${min > 0 ? 'a positive whole number' : 'a whole number (0 or more)'}, not "${String(raw)}".`,
      fix: `For example --${name} ${Math.max(min, 10)}.`,
    });
  return value;
}

/** The runtime's typed errors (no stream, no dead letter) as CLI errors; anything else is rethrown. */
function asCliFailure(error: unknown): unknown {
  if (error instanceof CliFailure) return error;
  if (error instanceof OpsFailure) return cliFailureOf(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^[A-Z]+\.[A-Z_]+$/.test(code) && typeof message === 'string')
    return new CliFailure([{ code, message, fix: fixFor(code) }]);
  return error;
}

function fixFor(code: string): string {
  switch (code) {
    case 'PROJECTION.REBUILD_FAILED':
      return 'Fix the handler (or the event, with an upcaster) and rebuild again; or pass --skip-failures to build the tables without what such events would write.';
    case 'SUBSCRIPTION.IN_USE':
      return '`eventsmith subscriptions status --db <url>` shows where it runs; stop the app processes that still run it (a version that still has it), then forget it. The lease of a process that died runs out by itself.';
    case 'PROJECTION.REBUILD_BUSY':
      return 'Stop the app processes that run this projection (the error names the lease holder: host, pid and id), then rebuild; or rebuild from the app: app.manager.rebuild(name). If another rebuild holds the lease, wait for it to finish.';
    case 'OPS.STREAM_NOT_FOUND':
      return 'Check the stream id (<AggregateType>-<id>); `eventsmith events tail --db <url>` lists recent events with their streams.';
    case 'OPS.NOT_RETRYABLE':
      return 'Retry it in the app that runs the subscription, or resolve it with `eventsmith dlq resolve <id>`.';
    case 'DLQ.NOT_FOUND':
      return '`eventsmith dlq list --db <url>` lists the entries with their ids.';
    default:
      return 'See `eventsmith --help`.';
  }
}

function usageError(error: CliError): CliFailure {
  return usageFailure(error);
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
