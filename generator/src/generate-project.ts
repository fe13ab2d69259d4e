import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import {
  lintDomain,
  loadDomain,
  readDomainFileSync,
  type Diagnostic,
  type DomainError,
  type DomainModel,
  type DomainSourceFile,
} from '@eventsmith/schema';
import { resolveInputs, type EventsmithConfig } from './config/config.js';
import type { ProjectError } from './config/project-error.js';
import {
  checkEventLock,
  checkTableOwners,
  emitDomain,
  EventLockFormatError,
  parseEventLock,
  parseSnapshot,
  SnapshotFormatError,
  type EventLock,
  type GeneratedFile,
  type ProjectionSnapshot,
} from './emit/index.js';
import { Layout } from './emit/common/layout.js';
import { formatFiles } from './format/format-files.js';
import { gitShowFile } from './git.js';
import type { Formatter } from './format/format-source.js';
import { readExisting, writeFiles, type WriteReport } from './write/write-files.js';
import { orphanedProjectionWarnings } from './write/orphaned-projections.js';

export interface GenerateProjectOptions {
  readonly config: EventsmithConfig;
  /** Compute what would change, write nothing (`generate --check`). */
  readonly dryRun?: boolean;
  /** Load and validate only (`validate`). */
  readonly validateOnly?: boolean;
  /** Compare each domain with the event lock in its output folder (default true; `check --against` compares with another). */
  readonly checkEventLock?: boolean;
  /** Refuse a domain with flow warnings (`--strict`): nothing is emitted or written. */
  readonly strict?: boolean;
  /** How each file is formatted: prettier by default (`formatSource`); watch mode remembers its last results. */
  readonly format?: Formatter;
}

/** The result of one run over every domain of a config. */
export type GenerateOutcome =
  | {
      readonly ok: false;
      readonly domainErrors: readonly DomainError[];
      readonly cliErrors: readonly ProjectError[];
      /** Set when `strict` refused the flow warnings (the domain errors are then empty): every diagnostic. */
      readonly diagnostics?: readonly Diagnostic[];
    }
  | {
      readonly ok: true;
      readonly models: readonly DomainModel[];
      /** The flow checks of every domain (warnings and information), see `lintDomain`. */
      readonly diagnostics: readonly Diagnostic[];
      readonly report: WriteReport;
      readonly files: number;
      readonly bytes: number;
      /** Milliseconds per stage. */
      readonly timings: {
        readonly load: number;
        readonly emit: number;
        readonly format: number;
        readonly write: number;
      };
    };

/**
 * load → validate → emit → format → write, for every domain in the config. If any domain is
 * invalid, or a user-owned file that lacks something does not parse, nothing at all is written,
 * so the last good output stays in place.
 *
 * @example
 * ```ts
 * const outcome = await generateProject({ config });
 * if (!outcome.ok) console.error(formatDomainErrors(outcome.domainErrors));
 * ```
 */
export async function generateProject(options: GenerateProjectOptions): Promise<GenerateOutcome> {
  const { config } = options;
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = now - mark;
    mark = now;
    return ms;
  };
  const domainErrors: DomainError[] = [];
  const cliErrors: ProjectError[] = [];
  const loaded: { model: DomainModel; output: string; userDir: string; snapshot: ProjectionSnapshot | undefined }[] =
    [];
  for (const domain of config.domains) {
    const inputs = await resolveInputs(config.root, domain);
    cliErrors.push(...inputs.errors);
    if (inputs.errors.length > 0) continue;
    // Synchronous, like the write stage's reads: many small files are read much faster on this thread.
    const sources: DomainSourceFile[] = [];
    const unreadable: DomainError[] = [];
    for (const path of inputs.files) {
      const read = readDomainFileSync(join(config.root, path), { displayPath: path });
      if (read.ok) sources.push({ path, text: read.value });
      else unreadable.push(read.errors);
    }
    // Without every file, other files' references would fail too: report only what could not be read.
    domainErrors.push(...unreadable);
    if (unreadable.length > 0) continue;
    const result = loadDomain(sources);
    if (!result.ok) {
      domainErrors.push(...result.errors);
      continue;
    }
    const layout = new Layout({ outDir: domain.output, userDir: domain.userDir });
    const snapshot = await readSnapshot(config.root, layout, cliErrors);
    if (snapshot) domainErrors.push(...checkTableOwners(snapshot, result.value, layout.projectionSnapshot));
    // A published event version must not change in place: compare with the lock the last run wrote.
    const lock =
      options.checkEventLock === false ? undefined : await readEventLock(config.root, layout.eventLock, cliErrors);
    if (lock === 'missing')
      domainErrors.push(...((await committedLockErrors(config.root, layout.eventLock, result.value)) ?? []));
    else if (lock) domainErrors.push(...(await lockErrors(config.root, layout.eventLock, lock, result.value)));
    loaded.push({ model: result.value, output: domain.output, userDir: domain.userDir, snapshot });
  }
  if (domainErrors.length > 0 || cliErrors.length > 0) return { ok: false, domainErrors, cliErrors };
  const models = loaded.map((l) => l.model);
  const diagnostics = models.flatMap((m) => lintDomain(m));
  if (options.strict && diagnostics.some((d) => d.severity !== 'info'))
    return { ok: false, domainErrors: [], cliErrors: [], diagnostics };
  const load = lap();
  if (options.validateOnly)
    return {
      ok: true,
      models,
      diagnostics,
      report: { changes: [], unchanged: 0, warnings: [], errors: [] },
      files: 0,
      bytes: 0,
      timings: { load, emit: 0, format: 0, write: 0 },
    };

  const emitted: GeneratedFile[] = loaded.flatMap((l) =>
    emitDomain(l.model, {
      outDir: l.output,
      userDir: l.userDir,
      ...(l.snapshot ? { projectionSnapshot: l.snapshot } : {}),
    }),
  );
  const emit = lap();
  const prepared = await formatFiles(emitted, options.format);
  const format = lap();
  const written = await writeFiles(prepared, {
    root: config.root,
    ownedDirs: config.domains.map((d) => d.output),
    dryRun: options.dryRun ?? false,
  });
  // A user-owned file that lacks something but does not parse: nothing was written.
  if (written.errors.length > 0) return { ok: false, domainErrors: [], cliErrors: written.errors };
  const orphaned = await orphanedProjectionWarnings(config.root, loaded, written.changes);
  const report = orphaned.length ? { ...written, warnings: [...written.warnings, ...orphaned].sort() } : written;
  const bytes = prepared
    .filter((f) => f.ownership === 'generated' || f.ownership === 'once')
    .reduce((sum, f) => sum + Buffer.byteLength(f.content), 0);
  return {
    ok: true,
    models,
    diagnostics,
    report,
    files: prepared.length,
    bytes,
    timings: { load, emit, format, write: lap() },
  };
}

/**
 * The breaking changes to published event versions. The lock on disk records every version generated,
 * committed or not. When it refuses a change and the project is in git with the lock committed, only
 * the lock at HEAD is binding: a shape recorded since the last commit is a draft the YAML may still
 * change (the write stage then rewrites the lock), and a change is refused only against the
 * committed shape. Outside git, or with the lock not committed, the lock on disk is binding. In CI
 * the working tree is HEAD, so both give the same answer there.
 */
async function lockErrors(root: string, path: string, lock: EventLock, model: DomainModel): Promise<DomainError[]> {
  const onDisk = checkEventLock(lock, model, { lockName: path, local: true });
  // Changes compatible with the lock on disk are compatible with the committed one it grew from: no git run on each save.
  if (onDisk.length === 0) return onDisk;
  return (await committedLockErrors(root, path, model)) ?? onDisk;
}

/**
 * The breaking changes to the lock committed at HEAD, or undefined when there is none (outside
 * git, never committed, unreadable). With no lock on disk this is all there is to compare with: a
 * deleted lock (say, to settle a merge conflict) does not unpublish what HEAD records.
 */
async function committedLockErrors(root: string, path: string, model: DomainModel): Promise<DomainError[] | undefined> {
  const text = await gitShowFile(root, 'HEAD', path);
  if (text === undefined) return undefined;
  let committed: EventLock;
  try {
    committed = parseEventLock(text);
  } catch (error) {
    if (!(error instanceof EventLockFormatError)) throw error;
    return undefined;
  }
  return checkEventLock(committed, model, { lockName: `HEAD:${path}` });
}

/** The lock on disk; 'missing' when there is none; undefined (and an error) when it cannot be read. */
async function readEventLock(
  root: string,
  path: string,
  errors: ProjectError[],
): Promise<EventLock | 'missing' | undefined> {
  const text = (await readExisting(root, [path])).get(path);
  if (text === undefined) return 'missing';
  try {
    return parseEventLock(text);
  } catch (error) {
    if (!(error instanceof EventLockFormatError)) throw error;
    errors.push({
      code: 'LOCK.INVALID',
      message: `${path}: ${error.reason}.`,
      fix: `Restore the file from version control (\`git checkout HEAD -- ${path}\`): it records the event versions already published. Never edit it by hand.`,
      where: { file: path, line: 1, col: 1, path: '' },
    });
    return undefined;
  }
}

/**
 * The projection snapshot: the table shapes the existing migrations produce. Without it the run
 * would start the migrations afresh, so it is refused while the migrations index still lists
 * migrations (they may have run: dropping them breaks every database that ran them).
 */
async function readSnapshot(
  root: string,
  layout: Layout,
  errors: ProjectError[],
): Promise<ProjectionSnapshot | undefined> {
  const path = layout.projectionSnapshot;
  const index = layout.migrationsIndex;
  // Read as the write stage reads outputs: not through a link out of the project, never blocking.
  const existing = await readExisting(root, [path, index]);
  const text = existing.get(path);
  const restore = `Restore it from version control (\`git checkout HEAD -- ${path}\`). If no database has run the migrations in ${layout.migrationsDir}, delete that whole folder instead: the next run creates every projection table anew.`;
  if (text === undefined) {
    const listed = [...(existing.get(index) ?? '').matchAll(/^\s*'(\d{4}_\w+)':/gm)].map((m) => m[1]!);
    if (listed.length > 0)
      errors.push({
        code: 'SNAPSHOT.MISSING',
        message: `${path} is missing, but ${index} lists ${listed.length} migration${listed.length === 1 ? '' : 's'} (${listed.join(', ')}) that may have run: without the snapshot the run would drop them and create the tables again.`,
        fix: restore,
        where: { file: index, line: 1, col: 1, path: '' },
      });
    return undefined;
  }
  try {
    return parseSnapshot(text);
  } catch (error) {
    if (!(error instanceof SnapshotFormatError)) throw error;
    errors.push({
      code: 'SNAPSHOT.INVALID',
      message: `${path}: ${error.reason}.`,
      fix: restore,
      where: { file: path, line: 1, col: 1, path: '' },
    });
    return undefined;
  }
}
