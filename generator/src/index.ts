// Public API of @eventsmith/generator: the CLI entry point and the pipeline stages, for tools and tests.
export { main, EXIT } from './cli/main.js';
export { findConfig, loadConfig, resolveInputs, type DomainConfig, type EventsmithConfig } from './config/config.js';
export type { ProjectError, ProjectLocation } from './config/project-error.js';
export type { CliError } from './cli/cli-error.js';
export type { CliIo } from './cli/io.js';
export { generateProject, type GenerateOutcome, type GenerateProjectOptions } from './generate-project.js';
export { emitDomain, GeneratedFile, type EmitOptions, type FileOwnership } from './emit/index.js';
export {
  checkEventLock,
  diffEventLock,
  EventLockFormatError,
  eventLockOf,
  parseEventLock,
  serializeEventLock,
  type EventLock,
  type LockChange,
} from './emit/index.js';
export { formatFiles } from './format/format-files.js';
export { formatSource, PRETTIER_OPTIONS, type Formatter } from './format/format-source.js';
export { formatCacheFile, openFormatCache, type FormatCache } from './format/format-cache.js';
export { writeFiles, type FileChange, type PreparedFile, type WriteReport } from './write/write-files.js';
export { mergeUserFile, type MergeResult } from './write/merge-user-file.js';
export { writeFileAtomic } from './write/atomic-write.js';
export { watchProject, type WatchEvent, type WatchHandle, type WatchOptions } from './watch/watch-project.js';
