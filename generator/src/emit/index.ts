import type { DomainModel } from '@eventsmith/schema';
import { emit as emitAggregates } from './aggregates/index.js';
import type { GeneratedFile } from './common/generated-file.js';
import { emit as emitEvents } from './events/index.js';
import { emit as emitIndex } from './index/index.js';
import { emit as emitLock } from './lock/index.js';
import { emit as emitProjections, type ProjectionEmitOptions } from './projections/index.js';
import { emit as emitUpcasters } from './upcasters/index.js';

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
export { docsDirOf, emit as emitDocs, type DocsEmitOptions } from './docs/index.js';
export { parseSnapshot, SnapshotFormatError, type ProjectionSnapshot } from './projections/index.js';
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

/**
 * Runs every target over a model: events, upcasters, aggregates, projections, then the index.
 * Pure: reads nothing but its arguments. Files come back sorted by path.
 *
 * @example
 * ```ts
 * const files = emitDomain(model, { outDir: 'generated/bank', userDir: 'examples/bank/src' });
 * ```
 */
export function emitDomain(model: DomainModel, options: ProjectionEmitOptions): GeneratedFile[] {
  const files = [
    ...emitEvents(model, options),
    ...emitUpcasters(model, options),
    ...emitAggregates(model, options),
    ...emitProjections(model, options),
  ];
  files.push(...emitIndex(model, options, files), ...emitLock(model, options));
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) throw new Error(`Internal generator error: two targets emit ${f.path}.`);
    seen.add(f.path);
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
