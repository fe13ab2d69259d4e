import { statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Diagnostic, DomainError } from '@eventsmith/schema';
import { loadConfig, resolveInputs, type EventsmithConfig } from '../config/config.js';
import type { ProjectError } from '../config/project-error.js';
import { generateProject } from '../generate-project.js';
import type { WriteReport } from '../write/write-files.js';
import { TEMP_PREFIX } from '../write/atomic-write.js';
import type { Formatter } from '../format/format-source.js';
import { formatMemo } from './format-memo.js';

/** What a watch run reports. */
export type WatchEvent =
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'generated';
      readonly report: WriteReport;
      readonly ms: number;
      readonly domains: readonly string[];
      readonly trigger: readonly string[];
      /** The flow checks of the run (warnings and information). */
      readonly diagnostics: readonly Diagnostic[];
    }
  | {
      readonly kind: 'invalid';
      readonly domainErrors: readonly DomainError[];
      readonly cliErrors: readonly ProjectError[];
      readonly trigger: readonly string[];
    }
  | { readonly kind: 'failed'; readonly error: unknown };

export interface WatchOptions {
  /** Quiet period after the last change before a run starts. Default 100 ms. */
  readonly debounceMs?: number;
  readonly onEvent: (event: WatchEvent) => void;
  /** Use polling (for file systems without change events). */
  readonly usePolling?: boolean;
  /** How often the inputs are checked for changes the file watcher missed. Default 500 ms. */
  readonly pollMs?: number;
  /** Formats each file whose emitted text changed since the previous run (every file on the first). Default `formatSource`. */
  readonly format?: Formatter;
}

export interface WatchHandle {
  /** Resolves once the first run has finished and the watcher is listening. */
  readonly ready: Promise<void>;
  /** Resolves when no run is pending or in progress. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `generate --watch`: runs once, then again after each saved change to a domain YAML file or the
 * config (debounced). Invalid YAML is reported and nothing is written, so the last good output
 * stays; the watcher keeps going after any error, and never reacts to its own output.
 *
 * @example
 * ```ts
 * const handle = watchProject(config, { onEvent: (e) => console.log(e.kind) });
 * await handle.ready;
 * // … later
 * await handle.close();
 * ```
 */
export function watchProject(initial: EventsmithConfig, options: WatchOptions): WatchHandle {
  let config = initial;
  const debounceMs = options.debounceMs ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let pending = false;
  let closed = false;
  let changed = new Set<string>();
  const idleWaiters: (() => void)[] = [];
  let lastStamps: string | undefined;
  // User files (not watched) whose syntax error stopped the last run, as the run read them: saving
  // one fixed runs again.
  let blocking: readonly { readonly file: string; readonly stamp: string }[] = [];
  const format = formatMemo(options.format);
  const stamps = async () =>
    [...blocking.map((b) => stampOf(config.root, b.file)), await inputStamps(config)].join('|');

  const run = async () => {
    const trigger = [...changed].sort();
    changed = new Set();
    const started = performance.now();
    const before = await inputStamps(config);
    lastStamps = [...blocking.map((b) => b.stamp), before].join('|');
    try {
      if (trigger.includes(relative(config.root, config.file).split(sep).join('/'))) {
        const reloaded = await loadConfig(config.file);
        if (Array.isArray(reloaded)) {
          options.onEvent({ kind: 'invalid', domainErrors: [], cliErrors: reloaded, trigger });
          return;
        }
        config = reloaded;
        watcher.add(watchedPaths(config));
      }
      const outcome = await generateProject({ config, format });
      blocking = (outcome.ok ? [] : outcome.cliErrors)
        .flatMap((e) => (e.code === 'USER_FILE.SYNTAX' && e.where ? [e.where.file] : []))
        .map((file) => ({ file, stamp: stampOf(config.root, file) }));
      if (!outcome.ok)
        options.onEvent({ kind: 'invalid', domainErrors: outcome.domainErrors, cliErrors: outcome.cliErrors, trigger });
      else
        options.onEvent({
          kind: 'generated',
          report: outcome.report,
          ms: performance.now() - started,
          domains: outcome.models.map((m) => m.name),
          trigger,
          diagnostics: outcome.diagnostics,
        });
    } catch (error) {
      options.onEvent({ kind: 'failed', error });
    } finally {
      // A save that lands while a run reads the files can be coalesced away by the file watcher;
      // if any input changed during the run, run again.
      const after = await inputStamps(config);
      lastStamps = [...blocking.map((b) => b.stamp), after].join('|');
      if (!closed && after !== before) {
        changed.add('(changed during the previous run)');
        schedule();
      }
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (running) {
        pending = true;
        return;
      }
      running = (async () => {
        do {
          pending = false;
          await run();
        } while (pending && !closed);
      })().finally(() => {
        running = undefined;
        if (!timer) for (const resolve of idleWaiters.splice(0)) resolve();
      });
    }, debounceMs);
  };

  const ownDirs = () => config.domains.flatMap((d) => [d.output, d.userDir]).map((d) => join(config.root, d));
  const watcher: FSWatcher = watch(watchedPaths(config), {
    ignoreInitial: true,
    usePolling: options.usePolling ?? false,
    interval: 50,
    ignored: (path, stats) => {
      const base = path.split(/[\\/]/).pop() ?? '';
      if (base.startsWith(TEMP_PREFIX) || base === 'node_modules' || base.startsWith('.git')) return true;
      if (ownDirs().some((dir) => path === dir || path.startsWith(`${dir}${sep}`))) return true;
      if (stats?.isFile() && !/\.ya?ml$|\.json$/.test(base)) return true;
      return false;
    },
  });
  watcher.on('all', (_event, path) => {
    changed.add(relative(config.root, path).split(sep).join('/'));
    schedule();
  });
  watcher.on('error', (error) => options.onEvent({ kind: 'failed', error }));

  // Safety net for change events the platform watcher drops: compare the inputs' stamps with the
  // last run's every `pollMs` while idle.
  const poll = setInterval(() => {
    if (closed || running || timer || lastStamps === undefined) return;
    void stamps().then((now) => {
      if (!closed && !running && !timer && now !== lastStamps) {
        changed.add('(detected by polling)');
        schedule();
      }
    });
  }, options.pollMs ?? 500);
  poll.unref();

  const ready = (async () => {
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    await run();
    options.onEvent({ kind: 'ready' });
  })();

  return {
    ready,
    idle: () => (running || timer ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
    close: async () => {
      closed = true;
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      await running;
      await watcher.close();
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}

function watchedPaths(config: EventsmithConfig): string[] {
  return [config.file, ...config.domains.flatMap((d) => d.input.map((i) => join(config.root, i)))];
}

/** Size and modification time of every YAML input, as one comparable string. */
async function inputStamps(config: EventsmithConfig): Promise<string> {
  const stamps: string[] = [];
  for (const domain of config.domains) {
    const { files } = await resolveInputs(config.root, domain);
    for (const file of files) stamps.push(stampOf(config.root, file));
  }
  return stamps.join('|');
}

/** `<file>:<size>:<mtime>`, or `<file>:gone`. */
function stampOf(root: string, file: string): string {
  try {
    const info = statSync(join(root, file));
    return `${file}:${info.size}:${info.mtimeMs}`;
  } catch {
    return `${file}:gone`;
  }
}
