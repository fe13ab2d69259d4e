import type { Emitter } from '../emitter.js';
import { emit } from './emit-projections.js';

/** The projections target: row and table types, `Projection`s, the domain factory and append-only migrations. */
export const projectionsEmitter: Emitter = {
  name: 'projections',
  emit: (model, { index, layout, projectionSnapshot }) => emit(model, index, layout, projectionSnapshot),
};

export { migrationExport } from './emit-migrations.js';
export { checkTableOwners } from './check-table-owners.js';
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
