/**
 * Database and broker drivers are optional peers of @eventsmith/runtime. Adapter code loads them through
 * `loadDriver` when its entry is imported (a missing driver is a DriverNotInstalledError naming the package), so:
 * - no runtime module imports a driver package as a value (type imports are erased);
 * - the root entry `@eventsmith/runtime` reaches no adapter folder, so it loads without any driver installed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/temp-project.js';
import { sourceFiles } from './dependency-rules.js';

const DRIVERS = ['better-sqlite3', 'pg', 'mysql2', 'ioredis', 'amqplib', 'nats', 'kafkajs'];
const ADAPTER_FOLDERS = [
  'store/sqlite/',
  'store/postgres/',
  'store/mysql/',
  'bus/redis/',
  'bus/rabbitmq/',
  'bus/nats/',
  'bus/kafka/',
];
const isDriver = (specifier: string) => DRIVERS.some((d) => specifier === d || specifier.startsWith(`${d}/`));
const isTestCode = (path: string) => /\.test\.ts$|\/test-support\/|\/fixtures\/|\/schema-snapshots\//.test(path);

/** Value (non-type) imports, re-exports and dynamic imports of a module. */
function valueImports(path: string, source: string): string[] {
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (
      ts.isExportDeclaration(node) &&
      !node.isTypeOnly &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('driver imports', () => {
  it('no runtime module imports a driver package as a value', () => {
    const offenders = sourceFiles(REPO, ['runtime/src'])
      .filter((f) => !isTestCode(f.path))
      .flatMap((f) =>
        valueImports(f.path, f.source)
          .filter(isDriver)
          .map((s) => `${f.path}: ${s}`),
      );
    expect(offenders).toEqual([]);
  });

  it('the root entry reaches no adapter folder', () => {
    const root = join(REPO, 'runtime/src');
    const seen = new Set<string>();
    const queue = ['index.ts'];
    while (queue.length > 0) {
      const path = queue.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      for (const specifier of valueImports(path, readFileSync(join(root, path), 'utf8'))) {
        if (specifier.startsWith('.')) queue.push(join(dirname(path), specifier).replace(/\.js$/, '.ts'));
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(
      [...seen].filter((p) => ADAPTER_FOLDERS.some((folder) => p.startsWith(folder)) || p.startsWith('drivers/')),
    ).toEqual([]);
  });
});
