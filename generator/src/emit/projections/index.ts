export { domainProjectionNames, emit, projectionNames, type ProjectionEmitOptions } from './emit-projections.js';
export { migrationExport } from './emit-migrations.js';
export {
  EMPTY_SNAPSHOT,
  parseSnapshot,
  serializeSnapshot,
  shapeOf,
  diffTables,
  SnapshotFormatError,
  type ProjectionSnapshot,
  type TableShape,
  type TableChange,
} from './table-shape.js';
export { SQL_TYPES, ROW_TYPES } from './column-types.js';
