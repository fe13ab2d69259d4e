import { isAbsolute, relative, resolve } from 'node:path';
import { generateProject } from '../generate-project.js';
import { docsDirOf, emitDocs } from '../emit/index.js';
import { formatFiles } from '../format/format-files.js';
import { writeFiles } from '../write/write-files.js';
import { usageFailure } from './cli-error.js';
import type { EventsmithConfig } from '../config/config.js';
import type { CliIo } from './io.js';
import { printCheckReport, printErrors, printWriteReport, type OutputFormat } from './report.js';

/** The base folder of `eventsmith docs` when `--out` is not given; each domain gets `<base>/<domain>/`. */
export const DEFAULT_DOCS_DIR = 'docs';

export interface DocsCommandOptions {
  /** `--out`: the base folder, relative to the working directory. */
  readonly out?: string;
  /** `--check`: write nothing, exit 1 when a page would change. */
  readonly check: boolean;
}

/**
 * `eventsmith docs`: loads every domain, emits its catalog (Markdown pages, Mermaid diagrams,
 * AsyncAPI document) and writes it through the write stage (atomically, only on change, pages no
 * longer emitted removed), or with `--check` reports the drift as `generate --check` does.
 */
export async function writeDocs(
  io: CliIo,
  config: EventsmithConfig,
  options: DocsCommandOptions,
  format: OutputFormat,
): Promise<number> {
  const base = docsBase(io, config, options.out);
  const started = performance.now();
  const outcome = await generateProject({ config, validateOnly: true });
  if (!outcome.ok) {
    printErrors(io, format, outcome.domainErrors, outcome.cliErrors);
    return 1;
  }
  const dirs = outcome.models.map((m) => docsDirOf(base, m.name));
  const emitted = outcome.models.flatMap((model, i) => emitDocs(model, { docsDir: dirs[i]! }));
  const prepared = await formatFiles(emitted);
  const report = await writeFiles(prepared, { root: config.root, ownedDirs: dirs, dryRun: options.check });
  if (format === 'json') {
    io.out(
      `${JSON.stringify({ dirs, changes: report.changes.map((c) => ({ path: c.path, kind: c.kind })), unchanged: report.unchanged, warnings: report.warnings }, null, 2)}\n`,
    );
  } else if (options.check) {
    printCheckReport(io, report, { what: 'docs are', command: 'eventsmith docs' });
  } else {
    printWriteReport(
      io,
      report,
      outcome.models.map((m) => m.name),
      performance.now() - started,
    );
  }
  return options.check && report.changes.length > 0 ? 1 : 0;
}

/** `--out` as a project-relative folder; refused outside the project or inside a folder `generate` owns. */
function docsBase(io: CliIo, config: EventsmithConfig, out: string | undefined): string {
  if (out === undefined) return DEFAULT_DOCS_DIR;
  const rel = relative(config.root, resolve(io.cwd, out)).split('\\').join('/');
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw usageFailure({
      code: 'CLI.DOCS_OUT',
      message: `--out ${out} is not a folder inside the project (${config.root}).`,
      fix: 'Give a folder under the folder of eventsmith.config.yaml, for example --out docs.',
    });
  }
  const owner = config.domains.find(
    (d) => rel === d.output || rel.startsWith(`${d.output}/`) || d.output.startsWith(`${rel}/`),
  );
  if (owner) {
    throw usageFailure({
      code: 'CLI.DOCS_OUT',
      message: `--out ${out} overlaps ${owner.output}, the output folder \`eventsmith generate\` owns.`,
      fix: 'Write the docs to a folder of their own, for example --out docs.',
    });
  }
  return rel;
}
