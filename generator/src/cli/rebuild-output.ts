// A projection rebuild as the CLI runs and prints it: `eventsmith projections rebuild`, and
// `eventsmith migrate` for the projections its migrations emptied or reset.
import type { RebuildReport } from '@eventsmith/runtime';
import cliProgress from 'cli-progress';
import type { StoreInspector } from '../ops/store-inspector.js';
import type { CliIo } from './io.js';
import { plural, type OutputFormat } from './report.js';

/**
 * Rebuilds a projection of the project's code through the inspector, with progress on stderr
 * (none with `--format json`). Throws for an unknown projection before any progress is printed.
 */
export async function rebuildWithProgress(
  inspector: StoreInspector,
  io: CliIo,
  format: OutputFormat,
  projection: string,
  options: { readonly skipFailures?: boolean } = {},
): Promise<RebuildReport> {
  const total = await inspector.countEvents(inspector.eventTypesOf(projection));
  const progress = progressReporter(io, format, projection, total);
  return inspector.rebuildProjection(projection, progress.update, options).finally(progress.stop);
}

/** A rebuild's report as plain JSON. */
export function rebuildJson(report: RebuildReport) {
  return {
    projection: report.projection,
    replayed: report.replayed,
    position: report.position?.toString() ?? null,
    durationMs: report.durationMs,
    failures: report.failures,
    failuresNotListed: report.failuresNotListed,
    resolvedDeadLetters: report.resolvedDeadLetters,
  };
}

/** A rebuild's report for people: events replayed, skipped events, resolved dead letters. */
export function rebuildText(report: RebuildReport): string {
  const seconds = report.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(report.replayed / seconds) : report.replayed;
  return [
    `Rebuilt ${report.projection}: ${plural(report.replayed, 'event')} replayed in ${seconds.toFixed(1)} s (${rate} events/s); the new tables are in place${report.failures.length + report.failuresNotListed > 0 ? ', without what the skipped events below would have written' : ''}.`,
    ...report.failures.map((f) => `  skipped ${f.eventType} ${f.eventId} at ${f.position}: ${f.error.split('\n')[0]}`),
    ...(report.failuresNotListed ? [`  and ${plural(report.failuresNotListed, 'more poison event')}`] : []),
    ...(report.resolvedDeadLetters
      ? [
          `Resolved ${plural(report.resolvedDeadLetters, 'dead letter')} of ${report.projection}: the new tables hold ${report.resolvedDeadLetters === 1 ? 'its event' : 'their events'}.`,
        ]
      : []),
  ].join('\n');
}

/**
 * A progress bar with the rate and ETA on a terminal (on stderr, so stdout stays the result), or a
 * plain line at most every two seconds when stderr is not a terminal; nothing with --format json.
 */
function progressReporter(io: CliIo, format: OutputFormat, projection: string, total: number) {
  const started = Date.now();
  if (format === 'json') return { update: () => undefined, stop: () => undefined };
  if (process.stderr.isTTY && io.color !== undefined) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${projection} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0, { rate: 0 });
    return {
      update: (replayed: number) => {
        const seconds = (Date.now() - started) / 1000;
        bar.setTotal(Math.max(total, replayed, 1));
        bar.update(replayed, { rate: seconds > 0 ? Math.round(replayed / seconds) : 0 });
      },
      stop: () => bar.stop(),
    };
  }
  let printed = 0;
  io.err(`eventsmith: rebuilding ${projection} (about ${plural(total, 'event')} to replay)\n`);
  return {
    update: (replayed: number) => {
      const now = Date.now();
      if (now - printed < 2000) return;
      printed = now;
      const seconds = (now - started) / 1000;
      const rate = seconds > 0 ? replayed / seconds : 0;
      const left = rate > 0 && total > replayed ? `, about ${Math.ceil((total - replayed) / rate)} s left` : '';
      io.err(
        `eventsmith: ${projection}: ${replayed}/${total} events (${total ? Math.floor((100 * replayed) / total) : 100}%), ${Math.round(rate)} events/s${left}\n`,
      );
    },
    stop: () => undefined,
  };
}
