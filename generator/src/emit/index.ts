import type { DomainModel } from '@eventsmith/schema';
import { DomainIndex } from './common/domain-index.js';
import type { GeneratedFile } from './common/generated-file.js';
import { Layout, type EmitOptions } from './common/layout.js';
import type { Emitter } from './emitter.js';
import { CODE_EMITTERS, DOCS_EMITTERS } from './emitters.js';
import type { ProjectionSnapshot } from './projections/table-shape.js';

export {
  GeneratedFile,
  GENERATED_MARKER,
  MARKDOWN_MARKER,
  type FileOwnership,
  type MemberStub,
  type RenderedImport,
  type UserFileMerge,
} from './common/generated-file.js';
export type { EmitOptions } from './common/layout.js';
export type { EmitContext, Emitter } from './emitter.js';
export { CODE_EMITTERS, DOCS_EMITTERS } from './emitters.js';
export { docsDirOf, type DocsEmitOptions } from './docs/index.js';
export { checkTableOwners, parseSnapshot, SnapshotFormatError, type ProjectionSnapshot } from './projections/index.js';
export {
  checkEventLock,
  diffEventLock,
  EventLockFormatError,
  eventLockOf,
  parseEventLock,
  serializeEventLock,
  type EventLock,
  type LockChange,
} from './lock/index.js';

/** What {@link emitDomain} reads besides the model. */
export interface DomainEmitOptions extends EmitOptions {
  /** The snapshot the previous run wrote (`projections/migrations/snapshot.json`), if any. */
  readonly projectionSnapshot?: ProjectionSnapshot;
}

/**
 * Runs every code target ({@link CODE_EMITTERS}) over a model: events, upcasters, aggregates,
 * projections, the index, the event lock. Pure: reads nothing but its arguments. Files come back
 * sorted by path.
 *
 * @example
 * ```ts
 * const files = emitDomain(model, { outDir: 'generated/bank', userDir: 'examples/bank/src' });
 * ```
 */
export function emitDomain(model: DomainModel, options: DomainEmitOptions): GeneratedFile[] {
  return runEmitters(CODE_EMITTERS, model, options);
}

/**
 * Runs the docs targets ({@link DOCS_EMITTERS}): the domain's browsable catalog under `docsDir`.
 *
 * @example
 * ```ts
 * const files = emitDocs(model, { docsDir: 'docs/bank' }); // docs/bank/README.md, …/asyncapi.json
 * ```
 */
export function emitDocs(model: DomainModel, options: { readonly docsDir: string }): GeneratedFile[] {
  return runEmitters(DOCS_EMITTERS, model, { outDir: '', userDir: '', docsDir: options.docsDir });
}

function runEmitters(emitters: readonly Emitter[], model: DomainModel, options: DomainEmitOptions): GeneratedFile[] {
  const { projectionSnapshot, ...paths } = options;
  const layout = new Layout(paths);
  const index = new DomainIndex(model);
  const files: GeneratedFile[] = [];
  const emittedBy = new Map<string, string>();
  for (const emitter of emitters) {
    const context = { layout, index, emitted: [...files], ...(projectionSnapshot ? { projectionSnapshot } : {}) };
    for (const file of emitter.emit(model, context)) {
      const other = emittedBy.get(file.path);
      if (other !== undefined)
        throw new Error(`Internal generator error: the ${other} and ${emitter.name} targets both emit ${file.path}.`);
      emittedBy.set(file.path, emitter.name);
      files.push(file);
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
