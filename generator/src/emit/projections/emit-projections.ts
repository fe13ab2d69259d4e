import type { DomainModel, ProjectionNode } from '@eventsmith/schema';
import { DomainIndex } from '../common/domain-index.js';
import { GeneratedFile, type MemberStub } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { domainProjectionNames, projectionNames } from '../common/names.js';
import { byString, docComment, pascalCase, quote } from '../common/naming.js';
import { ROW_TYPES } from './column-types.js';
import { countersCode, operationCode } from './emit-handlers.js';
import { emitMigrations } from './emit-migrations.js';
import { EMPTY_SNAPSHOT, type ProjectionSnapshot } from './table-shape.js';

const RUNTIME = '@eventsmith/runtime';

/**
 * The projections target: per projection its row and table types and a `Projection`
 * implementation (declarative handlers in full; `custom` ones received as parameters, with a
 * user-owned stub); a domain-level factory; and the append-only migrations.
 */
export function emit(
  model: DomainModel,
  index: DomainIndex,
  layout: Layout,
  projectionSnapshot: ProjectionSnapshot | undefined,
): GeneratedFile[] {
  const previous = projectionSnapshot ?? EMPTY_SNAPSHOT;
  if (model.projections.length === 0 && previous.migrations.length === 0) return [];
  const files: GeneratedFile[] = [databaseFile(model, layout)];
  for (const projection of model.projections) {
    const stub = userStub(layout, projection, model.name);
    files.push(projectionFile(index, layout, projection), ...(stub ? [stub] : []));
  }
  files.push(projectionsIndex(model, layout));
  files.push(...emitMigrations(model, layout, previous));
  return files;
}

function databaseFile(model: DomainModel, layout: Layout): GeneratedFile {
  const file = GeneratedFile.generated(
    layout.projectionDatabase,
    model.sources.map((s) => s.path),
  );
  const kysely = file.importType('Kysely', RUNTIME);
  const migration = file.importType('ProjectionTableMigration', RUNTIME);
  file.print(
    `/** The Kysely handle projections write through (the store transaction under a subscription). */\nexport type ProjectionDatabase<Tables = any> = ${kysely}<Tables>;`,
    `/** One Kysely migration of a projection table, and the projections to rebuild after it (\`rebuild\`). */\nexport type ProjectionMigration = ${migration};`,
  );
  return file;
}

function projectionFile(index: DomainIndex, layout: Layout, projection: ProjectionNode): GeneratedFile {
  const file = GeneratedFile.generated(layout.projection(projection.name), [projection.source.file]);
  const n = projectionNames(projection);
  const db = `${file.importType('ProjectionDatabase', { file: layout.projectionDatabase })}<${n.tables}>`;
  const projectionType = file.importType('Projection', RUNTIME);
  const generated = file.importType('Generated', RUNTIME);
  const selectable = file.importType('Selectable', RUNTIME);
  const cols = projection.columns.map((c) => {
    const type = `${ROW_TYPES[c.type]}${c.nullable ? ' | null' : ''}`;
    return `${docComment(c.description, '  ')}  ${c.name}: ${c.default !== undefined ? `${generated}<${type}>` : type};`;
  });
  file.print(
    `/** The \`${projection.table}\` table of the ${projection.name} projection, for Kysely (columns with a default are optional on insert). */\nexport interface ${n.table} {\n${cols.join('\n')}\n}`,
    `/** A row of \`${projection.table}\`, as a select returns it. */\nexport type ${n.row} = ${selectable}<${n.table}>;`,
    `/** The tables of the ${projection.name} projection: \`Kysely<${n.tables}>\`. */\nexport interface ${n.tables} {\n  ${projection.table}: ${n.table};\n}`,
  );
  const custom = projection.handlers.filter((h) => h.kind === 'CustomHandlerNode');
  if (custom.length > 0) {
    const contextType = file.importType('ProjectionContext', RUNTIME);
    const members = custom.map((h) => {
      const cls = file.import(h.event, { file: layout.eventsOf(index.event(h.event).aggregate) });
      return `  /** Handles ${h.event} (\`custom\` in the YAML). Write through \`context.db\`: it is the projection's transaction. */\n  ${h.event}(event: ${cls}, context: ${contextType}<${db}>): Promise<void>;`;
    });
    file.print(
      `/** The hand-written handlers of the ${projection.name} projection. */\nexport interface ${n.custom} {\n${members.join('\n')}\n}`,
    );
  }
  const functions: string[] = [];
  const branches: string[] = [];
  const rowOperation = file.importType('RowOperation', RUNTIME);
  for (const handler of projection.handlers) {
    const cls = file.import(handler.event, { file: layout.eventsOf(index.event(handler.event).aggregate) });
    if (handler.kind === 'CustomHandlerNode') {
      branches.push(`if (event instanceof ${cls}) return (context) => custom.${handler.event}(event, context);`);
      continue;
    }
    const fn = `on${handler.event}`;
    const operation = operationCode({ file, index, projection, event: handler.event }, handler);
    functions.push(`function ${fn}(event: ${cls}): ${rowOperation}<${n.table}> {\n  return ${operation};\n}`);
    branches.push(`if (event instanceof ${cls}) return ${fn}(event);`);
  }
  const eventTypes = [...new Set(projection.handlers.map((h) => h.event))].sort(byString);
  const param = custom.length ? `custom: ${n.custom}` : '';
  const declarative = file.import('declarativeProjection', RUNTIME);
  const counters = countersCode(projection);
  const options = [
    `name: ${quote(projection.name)}`,
    `eventTypes: [${eventTypes.map(quote).join(', ')}]`,
    `table: ${quote(projection.table)}`,
    `primaryKey: [${projection.primaryKey.map(quote).join(', ')}]`,
    ...(counters ? [`counters: ${counters}`] : []),
    // Merged writes on different keys are not made in event order, which a unique index could notice.
    ...(projection.indexes.some((i) => i.unique) ? ['mergeBatches: false'] : []),
  ];
  file.print(
    `${docComment(`${projection.description ?? `The ${projection.name} projection.`}\n\nRun it with the subscription manager (rows and checkpoint commit together, a batch of events merged into few statements) or feed it events yourself.\n\n@example\n\`\`\`ts\nconst projection = ${n.factory}(${custom.length ? `${n.userHandlers}` : ''});\nawait store.transaction(async (tx) => projection.handle(stored, { db: tx.sql as Kysely<${n.tables}> }));\n\`\`\``)}` +
      `export function ${n.factory}(${param}): ${projectionType}<${db}> {\n` +
      `  return ${declarative}<${n.tables}, ${quote(projection.table)}>({\n${options.map((o) => `    ${o},\n`).join('')}` +
      `    operation(event) {\n${branches.map((b) => `      ${b}`).join('\n')}\n      return undefined;\n    },\n  });\n}`,
    ...functions,
  );
  return file;
}

function projectionsIndex(model: DomainModel, layout: Layout): GeneratedFile {
  const file = GeneratedFile.generated(
    layout.projectionsIndex,
    model.sources.map((s) => s.path),
  );
  const d = domainProjectionNames(model.name);
  const db = file.importType('ProjectionDatabase', { file: layout.projectionDatabase });
  const projectionType = file.importType('Projection', RUNTIME);
  const withCustom = model.projections.filter((p) => p.handlers.some((h) => h.kind === 'CustomHandlerNode'));
  if (withCustom.length > 0) {
    const orFactory = file.importType('HandlersOrFactory', RUNTIME);
    const members = withCustom.map(
      (p) =>
        `  readonly ${p.name}: ${orFactory}<${file.importType(projectionNames(p).custom, { file: layout.projection(p.name) })}>;`,
    );
    file.print(
      `/**\n * The hand-written handlers of every projection that has \`custom\` ones: each the handlers object,\n * or a function that receives the app's dependencies (db, store, clock, services) and returns it.\n */\nexport interface ${d.custom} {\n${members.join('\n')}\n}`,
    );
  }
  const resolve = withCustom.length > 0 ? file.import('customHandlers', RUNTIME) : '';
  const items = model.projections.map((p) => {
    const factory = file.import(projectionNames(p).factory, { file: layout.projection(p.name) });
    const custom = p.handlers.some((h) => h.kind === 'CustomHandlerNode');
    // `custom?.`: called without its handlers (plain JavaScript, or a cast), customHandlers says what to pass.
    return `${factory}(${custom ? `${resolve}(${quote(p.name)}, custom?.${p.name}, dependencies)` : ''})`;
  });
  const example = withCustom.length
    ? `${d.factory}({ ${withCustom.map((p) => `${p.name}: ${projectionNames(p).userHandlers}`).join(', ')} })`
    : `${d.factory}()`;
  file.print(
    `/**\n * Every projection of the ${model.name} domain, sorted by name.${withCustom.length ? ` Custom handlers given as factories get \`dependencies\`\n * (\`create${pascalCase(model.name)}App\` passes them).` : ''}\n *\n * @example\n * \`\`\`ts\n * for (const projection of ${example}) manager.project(projection);\n * \`\`\`\n */\n` +
      `export function ${d.factory}(${withCustom.length ? `custom: ${d.custom}, dependencies?: ${file.importType('AppDependencies', RUNTIME)}` : ''}): ${projectionType}<${db}>[] {\n  return [${items.map((i) => `\n    ${i},`).join('')}${items.length ? '\n  ' : ''}];\n}`,
  );
  return file;
}

function userStub(layout: Layout, projection: ProjectionNode, domain: string): GeneratedFile | undefined {
  const custom = projection.handlers.filter((h) => h.kind === 'CustomHandlerNode');
  if (custom.length === 0) return undefined;
  const n = projectionNames(projection);
  const members: MemberStub[] = custom.map((h) => ({
    name: h.event,
    // Does not compile until the body is written: the error names the handler (see projectionHandlerNotWritten).
    text: `async ${h.event}(event, { db }) {\n  // Update ${projection.table} through db (the projection's transaction) from event.data.\n  return projectionHandlerNotWritten(${quote(`${projection.name}.${h.event}`)});\n}`,
  }));
  const file = GeneratedFile.user(layout.userProjection(projection.name), [projection.source.file], {
    container: { kind: 'object', variable: n.userHandlers },
    members,
    owner: projection.name,
  });
  const type = file.importType(n.custom, { file: layout.index });
  file.import('projectionHandlerNotWritten', RUNTIME);
  file.print(
    `/**\n * The hand-written handlers of the ${projection.name} projection (\`custom\` in the YAML).\n * Pass them to the app: \`create${pascalCase(domain)}App({ …, projections: { ${projection.name}: ${n.userHandlers} } })\`.\n * Write through \`db\`, the projection's transaction.\n */\n` +
      `export const ${n.userHandlers}: ${type} = {\n${members
        .map((m) =>
          m.text
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
        )
        .join(',\n\n')},\n};`,
  );
  return file;
}
