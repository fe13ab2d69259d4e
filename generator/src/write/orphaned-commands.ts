import type { RenderedImport, UserFileMerge } from '../emit/index.js';
import { namedImports } from './named-imports.js';

/**
 * Reports, never deletes, what is left in an aggregate's class of a command the YAML no longer
 * declares: its command type (`InvoicePayCommand`) is no longer generated, so the file's import
 * of it, and the method taking it, stop compiling. One warning per such type, at the method that
 * takes it (or at the import), saying what to delete. Judged from the text, so it runs on every
 * merge, with or without ts-morph. A command without parameters leaves a method that still
 * compiles and cannot be told from a method of the user's own: it is not reported.
 *
 * @example
 * ```ts
 * warnings.push(...orphanedCommandWarnings('src/billing/aggregates/invoice.ts', text, file.merge!));
 * ```
 */
export function orphanedCommandWarnings(
  path: string,
  text: string,
  merge: UserFileMerge & { readonly imports: readonly RenderedImport[] },
): string[] {
  const types = merge.commandTypes;
  if (!types || merge.container.kind !== 'class') return [];
  const cls = merge.container.name;
  const exported = new Set(types.exported);
  const generated = new Set(merge.imports.map((i) => i.from));
  const warnings: string[] = [];
  for (const { name: type, local, from, at } of namedImports(text)) {
    if (!generated.has(from)) continue;
    if (!isCommandType(type, types.typePrefix) || exported.has(type)) continue;
    const command = commandName(type, types.typePrefix);
    const importLine = positionAt(text, at).line;
    const method = methodTaking(text, local);
    if (method) {
      const where = positionAt(text, method.at);
      warnings.push(
        `${path}:${where.line}:${where.col}: ${cls}.${method.name} takes ${type}, the parameters of command "${command}", which ${merge.owner} no longer declares in the YAML; ${type} is no longer generated, so this file does not compile. It was kept; delete the method, and ${type} from the import on line ${importLine} (or declare the command again).`,
      );
    } else {
      const where = positionAt(text, at);
      warnings.push(
        `${path}:${where.line}:${where.col}: ${type} is imported, but ${merge.owner} no longer declares command "${command}" in the YAML, so ${type} is no longer generated and this file does not compile. Delete it from the import, and whatever uses it (or declare the command again).`,
      );
    }
  }
  return warnings;
}

/** `InvoicePayCommand` for prefix `Invoice`; not `InvoiceCommand`, `InvoicepayCommand` or `InvoicePayCommandInput`. */
function isCommandType(name: string, prefix: string): boolean {
  return (
    name.startsWith(prefix) &&
    name.endsWith('Command') &&
    name.length > prefix.length + 'Command'.length &&
    /[A-Z]/.test(name[prefix.length]!)
  );
}

/** `pay` from `InvoicePayCommand`. */
function commandName(type: string, prefix: string): string {
  const pascal = type.slice(prefix.length, -'Command'.length);
  return pascal[0]!.toLowerCase() + pascal.slice(1);
}

/** The first method whose first parameter is typed `type`: its name and where the name starts. */
function methodTaking(text: string, type: string): { name: string; at: number } | undefined {
  const escaped = type.replace(/\$/g, '\\$');
  const method = new RegExp(
    `(?:^|\\n)[ \\t]*(?:(?:public|protected|private|async|override)\\s+)*([A-Za-z_$][\\w$]*)\\s*\\(\\s*[A-Za-z_$][\\w$]*\\??\\s*:\\s*${escaped}(?![\\w$])`,
  ).exec(text);
  if (!method) return undefined;
  return { name: method[1]!, at: method.index + method[0].lastIndexOf(method[1]!, method[0].indexOf('(')) };
}

/** 1-based line and column of an offset. */
export function positionAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}
