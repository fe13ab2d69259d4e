import {
  type Diagnostic,
  IndentationText,
  NewLineKind,
  Node,
  Project,
  QuoteKind,
  SyntaxKind,
  type ObjectLiteralExpression,
  type SourceFile,
} from 'ts-morph';
import type { ProjectError } from '../config/project-error.js';
import type { RenderedImport, UserFileMerge } from '../emit/index.js';
import { orphanedCommandWarnings } from './orphaned-commands.js';
import { missingMembers, quickCheck } from './quick-merge.js';
import { memberInsertIndex, tidyImport } from './tidy-merge.js';

/** The outcome of merging into a user-owned file. */
export interface MergeResult {
  /** The new text; equal to the input when nothing was missing. */
  readonly text: string;
  /** Members and imports that were added, e.g. `onMoneyDeposited`, `import MoneyDeposited`. */
  readonly added: readonly string[];
  /** Things left as they are but worth telling the user (a handler for an event removed from the YAML). */
  readonly warnings: readonly string[];
  /**
   * Set when something is missing but the file does not parse: nothing was added (`text` is the
   * input), and the run must stop at this error rather than write a merge made from a misread file.
   */
  readonly error?: ProjectError;
}

/**
 * Adds what a user-owned file lacks — imports, handler stubs, command methods, custom handler
 * properties — with ts-morph, without touching anything already there. A member counts as present
 * when a member of that name exists, or (for handlers) any method carries `@handles(<Event>)`.
 * New members land beside their kind (commands after the commands, handlers after the handlers);
 * custom projection handlers may be an object literal or a factory returning one. Only imports
 * the file then uses are added, laid out as prettier would. Handlers for events the YAML no
 * longer declares are reported, never deleted.
 *
 * @example
 * ```ts
 * const { text, added, warnings } = mergeUserFile('bank-account.ts', existing, file.merge!);
 * ```
 */
export function mergeUserFile(
  path: string,
  existing: string,
  merge: UserFileMerge & { readonly imports: readonly RenderedImport[] },
): MergeResult {
  const quick = quickCheck(path, existing, merge);
  if (quick) return quick;
  const source = project().createSourceFile(`/merge/${path.replace(/^\/+/, '')}`, existing, { overwrite: true });
  try {
    // TypeScript recovers from a syntax error by reading the rest of the file differently (a class
    // that ends early, members outside it), and a merge into that tree would misplace or duplicate
    // what it adds. Such a file is left alone; the error names the first problem and what is missing.
    const syntaxError = project().getProgram().getSyntacticDiagnostics(source)[0];
    if (syntaxError) {
      // Judged from the text; what it cannot see missing (an import) is added once the file parses.
      const missing = missingMembers(existing, merge);
      const error = missing.length > 0 ? syntaxErrorIn(path, source, syntaxError, missing) : undefined;
      return { text: existing, added: [], warnings: [], ...(error ? { error } : {}) };
    }
    const added: string[] = [];
    const warnings: string[] = [];
    const known = new Set(merge.handledEvents ?? []);
    const container = merge.container;
    if (container.kind === 'class') {
      const cls = source.getClass(container.name);
      if (!cls) {
        warnings.push(
          `${path}: class ${container.name} was not found, so no handler stubs were added. Declare it (or restore the name) and run generate again.`,
        );
      } else {
        const handled = new Map<string, string>();
        for (const method of cls.getMethods()) {
          for (const decorator of method.getDecorators()) {
            if (decorator.getName() !== 'handles') continue;
            const arg = decorator.getArguments()[0]?.getText();
            if (arg) handled.set(arg, method.getName());
          }
        }
        const commands = new Set(merge.members.filter((m) => m.handles === undefined).map((m) => m.name));
        for (const stub of merge.members) {
          const present =
            cls.getMethod(stub.name) ??
            cls.getProperty(stub.name) ??
            (stub.handles !== undefined && handled.has(stub.handles));
          if (present) continue;
          // Beside its kind: a command after the commands, a handler after the handlers.
          cls.insertMember(
            memberInsertIndex(cls, stub.handles === undefined ? 'command' : 'handler', commands),
            stub.text,
          );
          added.push(stub.name);
        }
        if (merge.handledEvents) {
          for (const [event, method] of [...handled].sort()) {
            if (!known.has(event)) {
              warnings.push(
                `${path}: ${container.name}.${method} handles ${event}, which ${merge.owner} no longer declares in the YAML. It was kept; delete it (and its import) when you no longer need it.`,
              );
            }
          }
        }
      }
    } else if (container.kind === 'object') {
      const initializer = handlersObject(source, container.variable);
      if (!initializer) {
        warnings.push(
          `${path}: \`${container.variable}\` is neither an object literal nor a function that returns one, so no handler stubs were added.`,
        );
      } else {
        const names = new Set(
          initializer.getProperties().flatMap((p) => (Node.isPropertyNamed(p) ? [p.getName()] : [])),
        );
        for (const stub of merge.members) {
          if (names.has(stub.name)) continue;
          initializer.addProperty(stub.text);
          added.push(stub.name);
        }
        const expected = new Set(merge.members.map((m) => m.name));
        for (const name of [...names].sort()) {
          if (!expected.has(name))
            warnings.push(
              `${path}: ${container.variable}.${name} handles an event that ${merge.owner} no longer lists as custom in the YAML. It was kept; delete it when you no longer need it.`,
            );
        }
      }
    }
    added.push(...addImports(source, merge.imports));
    const text = added.length > 0 ? source.getFullText() : existing;
    // Positions in the text as written.
    warnings.push(...orphanedCommandWarnings(path, text, merge));
    return { text, added, warnings };
  } finally {
    source.forget();
  }
}

function syntaxErrorIn(path: string, source: SourceFile, diagnostic: Diagnostic, missing: string[]): ProjectError {
  const at = source.getLineAndColumnAtPos(diagnostic.getStart() ?? 0);
  const text = diagnostic.getMessageText();
  const reason = (typeof text === 'string' ? text : text.getMessageText()).replace(/\.$/, '');
  return {
    code: 'USER_FILE.SYNTAX',
    message: `${path} has a syntax error (${reason}), so eventsmith did not add ${missing.join(', ')} to it.`,
    fix: 'Fix the syntax error and run `eventsmith generate` again. The file is yours: eventsmith adds to it only when it parses.',
    where: { file: path, line: at.line, col: at.column, path: '' },
  };
}

/** Adds each import whose name the file neither imports (from anywhere) nor declares. */
function addImports(source: SourceFile, imports: readonly RenderedImport[]): string[] {
  const visible = new Set<string>();
  for (const decl of source.getImportDeclarations()) {
    for (const spec of decl.getNamedImports()) visible.add((spec.getAliasNode() ?? spec.getNameNode()).getText());
    const def = decl.getDefaultImport();
    if (def) visible.add(def.getText());
    const ns = decl.getNamespaceImport();
    if (ns) visible.add(ns.getText());
  }
  for (const statement of source.getStatements()) {
    if (
      Node.isClassDeclaration(statement) ||
      Node.isFunctionDeclaration(statement) ||
      Node.isInterfaceDeclaration(statement) ||
      Node.isTypeAliasDeclaration(statement) ||
      Node.isEnumDeclaration(statement)
    ) {
      const name = statement.getName();
      if (name) visible.add(name);
    } else if (Node.isVariableStatement(statement)) {
      for (const d of statement.getDeclarations()) visible.add(d.getName());
    }
  }
  // Only names the file uses: an import the stubs needed stays out once they are gone.
  const used = new Set(
    source
      .getDescendantsOfKind(SyntaxKind.Identifier)
      .filter((id) => !id.getFirstAncestorByKind(SyntaxKind.ImportDeclaration))
      .map((id) => id.getText()),
  );
  const added: string[] = [];
  for (const line of imports) {
    const missing = line.names.filter((n) => !visible.has(n.name) && used.has(n.name));
    if (missing.length === 0) continue;
    const decl = source
      .getImportDeclarations()
      .find((d) => d.getModuleSpecifierValue() === line.from && !d.isTypeOnly() && !d.getNamespaceImport());
    for (const name of missing) {
      if (decl) decl.addNamedImport({ name: name.name, isTypeOnly: name.type });
      added.push(`import ${name.name}`);
    }
    if (decl) {
      tidyImport(decl, new Set(missing.map((n) => n.name)));
    } else {
      const allTypes = missing.every((n) => n.type);
      const inserted = source.insertImportDeclaration(source.getImportDeclarations().length, {
        moduleSpecifier: line.from,
        isTypeOnly: allTypes,
        namedImports: missing.map((n) => ({ name: n.name, isTypeOnly: n.type && !allTypes })),
      });
      tidyImport(inserted, new Set(missing.map((n) => n.name)));
    }
  }
  return added;
}

/**
 * The object literal of custom handlers named `name`: `const x = { … }`, or the object a factory
 * returns, written `const x = (deps) => ({ … })`, `const x = (deps) => { …; return { … }; }` or
 * `function x(deps) { …; return { … }; }`.
 */
function handlersObject(source: SourceFile, name: string): ObjectLiteralExpression | undefined {
  const declaration = source.getVariableDeclaration(name);
  const body = (node: Node | undefined): ObjectLiteralExpression | undefined => {
    if (!node) return undefined;
    if (Node.isObjectLiteralExpression(node)) return node;
    if (Node.isParenthesizedExpression(node) || Node.isAsExpression(node) || Node.isSatisfiesExpression(node))
      return body(node.getExpression());
    if (Node.isArrowFunction(node) || Node.isFunctionExpression(node) || Node.isFunctionDeclaration(node)) {
      const inner = node.getBody();
      if (!inner || !Node.isBlock(inner)) return body(inner);
      const returned = inner.getStatements().filter((st) => Node.isReturnStatement(st));
      return returned.length === 1
        ? body(returned[0]!.asKindOrThrow(SyntaxKind.ReturnStatement).getExpression())
        : undefined;
    }
    return undefined;
  };
  return declaration ? body(declaration.getInitializer()) : body(source.getFunction(name));
}

let shared: Project | undefined;

function project(): Project {
  shared ??= new Project({
    useInMemoryFileSystem: true,
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    // The program only gives syntax errors: without the default lib it is built in about a millisecond.
    compilerOptions: { noLib: true, types: [] },
    manipulationSettings: {
      indentationText: IndentationText.TwoSpaces,
      newLineKind: NewLineKind.LineFeed,
      quoteKind: QuoteKind.Single,
      useTrailingCommas: true,
    },
  });
  return shared;
}
