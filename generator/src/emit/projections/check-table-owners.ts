import { domainError, type DomainError, type DomainModel } from '@eventsmith/schema';
import type { ProjectionSnapshot } from './table-shape.js';

/**
 * A projection renamed while it keeps its table. Its checkpoint, lease and dead letters are kept
 * under its name, so under a new name it would start from the first event and apply every event
 * again to the rows the old name wrote: duplicate inserts dead-lettered, increments counted twice.
 */
export function checkTableOwners(
  previous: ProjectionSnapshot,
  model: DomainModel,
  snapshotPath: string,
): DomainError[] {
  const owners = new Map(previous.tables.map((t) => [t.table, t.projection]));
  return model.projections.flatMap((projection) => {
    const owner = owners.get(projection.table);
    if (owner === undefined || owner === projection.name) return [];
    return [
      domainError(
        'PROJECTION.TABLE_OWNER',
        `Projection "${projection.name}" writes table ${projection.table}, which projection "${owner}" wrote until now ` +
          `(recorded in ${snapshotPath}). A projection's checkpoint is kept under its name, so "${projection.name}" ` +
          `would apply every stored event again to the rows "${owner}" wrote (inserts of existing rows are dead-lettered, increments counted twice).`,
        `Keep the name "${owner}". To rename the projection, give it a new table too (\`table: <new name>\`): ` +
          `it fills the new table from the first event, and the next migration drops ${projection.table}.`,
        projection.source,
      ),
    ];
  });
}
