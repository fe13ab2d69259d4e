import { Node, type ClassDeclaration, type ImportDeclaration } from 'ts-morph';
import { PRETTIER_OPTIONS } from '../format/format-source.js';

/**
 * Where a new member of a user-owned class goes: a handler (`@handles`) after the last handler,
 * a command after the last command (or before the first handler when there is none yet), so that
 * members stay grouped by kind as the skeleton laid them out. `commands` are the names the YAML
 * declares as commands.
 */
export function memberInsertIndex(
  cls: ClassDeclaration,
  kind: 'handler' | 'command',
  commands: ReadonlySet<string>,
): number {
  const members = cls.getMembers();
  const isHandler = (m: Node) =>
    Node.isMethodDeclaration(m) && m.getDecorators().some((d) => d.getName() === 'handles');
  const isCommand = (m: Node) => Node.isMethodDeclaration(m) && !isHandler(m) && commands.has(m.getName());
  const last = (test: (m: Node) => boolean) => members.findLastIndex(test);
  if (kind === 'handler') {
    const after = last(isHandler);
    return after >= 0 ? after + 1 : members.length;
  }
  const after = last(isCommand);
  if (after >= 0) return after + 1;
  const firstHandler = members.findIndex(isHandler);
  return firstHandler >= 0 ? firstHandler : members.length;
}

/**
 * Re-prints an import declaration the merge added names to, as prettier lays it out with the
 * generator's options (which the skeletons were formatted with): on one line when it fits the
 * print width, otherwise one name per line with a trailing comma. Names stay in their order, and added ones join it sorted when the file's names
 * were sorted.
 */
export function tidyImport(decl: ImportDeclaration, added: ReadonlySet<string>): void {
  const specifiers = decl.getNamedImports().map((s) => ({ name: s.getName(), text: s.getText() }));
  const kept = specifiers.filter((s) => !added.has(s.name));
  const fresh = specifiers.filter((s) => added.has(s.name));
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const sorted = kept.every((s, i) => i === 0 || byName(kept[i - 1]!, s) <= 0);
  const names = sorted ? [...kept, ...fresh].sort(byName) : [...kept, ...fresh.sort(byName)];
  const head = `import ${decl.isTypeOnly() ? 'type ' : ''}`;
  const defaultImport = decl.getDefaultImport()?.getText();
  const from = ` from ${decl.getModuleSpecifier().getText()};`;
  const prefix = `${head}${defaultImport ? `${defaultImport}, ` : ''}`;
  const oneLine = `${prefix}{ ${names.map((n) => n.text).join(', ')} }${from}`;
  const text =
    oneLine.length <= PRETTIER_OPTIONS.printWidth
      ? oneLine
      : `${prefix}{\n${names.map((n) => `  ${n.text},`).join('\n')}\n}${from}`;
  if (text !== decl.getText()) decl.replaceWithText(text);
}
