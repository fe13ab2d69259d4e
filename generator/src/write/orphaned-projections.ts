import type { DomainModel } from '@eventsmith/schema';
import { projectionNames } from '../emit/common/names.js';
import { Layout } from '../emit/common/layout.js';
import { namedImports } from './named-imports.js';
import { positionAt } from './orphaned-commands.js';
import { listFiles, readExisting, type FileChange } from './write-files.js';

const HANDLERS_TYPE = /^([A-Z][\w$]*)CustomHandlers$/;

/**
 * Reports, never deletes, the custom handler file of a projection the YAML no longer declares with
 * custom handlers (removed, or renamed): the file is no longer generated for, and its import of
 * `<Projection>CustomHandlers` stops compiling. One warning per such file, at that import, saying
 * what to do; a file created in this run for another projection (a rename) is named as where the
 * handlers can go. Other files in the folder (helpers of the user's own) are not reported.
 *
 * @example
 * ```ts
 * warnings.push(...(await orphanedProjectionWarnings(root, [{ model, userDir: 'src/todo' }], report.changes)));
 * ```
 */
export async function orphanedProjectionWarnings(
  root: string,
  domains: readonly { readonly model: DomainModel; readonly userDir: string }[],
  changes: readonly FileChange[],
): Promise<string[]> {
  const warnings: string[] = [];
  for (const { model, userDir } of domains) {
    const layout = new Layout({ outDir: '', userDir });
    const custom = model.projections.filter((p) => p.handlers.some((h) => h.kind === 'CustomHandlerNode'));
    const declared = new Set(custom.map((p) => projectionNames(p).custom));
    const current = new Set(custom.map((p) => layout.userProjection(p.name)));
    const created = changes
      .filter((c) => c.kind === 'create' && current.has(c.path))
      .map((c) => c.path)
      .sort();
    const candidates = (await listFiles(root, layout.userProjectionsDir)).filter(
      (path) => path.endsWith('.ts') && !path.endsWith('.d.ts') && !/\.test\.ts$/.test(path) && !current.has(path),
    );
    const texts = await readExisting(root, candidates);
    for (const path of candidates) {
      const text = texts.get(path);
      if (text === undefined) continue;
      const orphan = orphanedImport(text, declared);
      if (!orphan) continue;
      const where = positionAt(text, orphan.at);
      const into =
        created.length === 1
          ? `If ${orphan.projection} was renamed, move its handlers into ${created[0]} (created in this run) first`
          : `If ${orphan.projection} was renamed, move its handlers into the custom handler file of the projection that replaced it first`;
      warnings.push(
        `${path}:${where.line}:${where.col}: ${orphan.type} is imported, but ${model.name} no longer declares projection "${orphan.projection}" with custom handlers in the YAML (removed or renamed), so ${orphan.type} is no longer generated and this file does not compile. It was kept: delete it, and its entry \`${orphan.projection}\` in the app's \`projections\`. ${into}.`,
      );
    }
  }
  return warnings;
}

/** The first `<Projection>CustomHandlers` the text imports that is no longer generated, and where. */
function orphanedImport(
  text: string,
  declared: ReadonlySet<string>,
): { type: string; projection: string; at: number } | undefined {
  for (const { name: type, at } of namedImports(text)) {
    const projection = HANDLERS_TYPE.exec(type)?.[1];
    if (projection !== undefined && !declared.has(type)) return { type, projection, at };
  }
  return undefined;
}
