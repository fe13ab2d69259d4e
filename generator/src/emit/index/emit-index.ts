import type { DomainModel } from '@eventsmith/schema';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { byString } from '../common/naming.js';

/**
 * The index target: `index.ts` re-exports every generated module of the domain (tests and
 * individual migrations aside: `projectionMigrations` lists those), so user code imports from
 * one place.
 */
export function emit(model: DomainModel, layout: Layout, files: readonly GeneratedFile[]): GeneratedFile[] {
  const file = GeneratedFile.generated(
    layout.index,
    model.sources.map((s) => s.path),
  );
  const migrationsDir = `${layout.migrationsDir}/`;
  const modules = files
    .filter((f) => f.ownership === 'generated' && f.path.endsWith('.ts') && !f.path.endsWith('.test.ts'))
    .filter((f) => !f.path.startsWith(migrationsDir) || f.path === layout.migrationsIndex)
    .filter((f) => f.path !== layout.index)
    .map((f) => file.relativeSpecifier(f.path)!)
    .sort(byString);
  file.print(modules.map((m) => `export * from '${m}';`).join('\n'));
  return [file];
}
