import type { MemberStub, RenderedImport, UserFileMerge } from '../emit/index.js';
import type { MergeResult } from './merge-user-file.js';
import { orphanedCommandWarnings } from './orphaned-commands.js';

// Kept apart from merge-user-file.ts, which imports ts-morph (and with it the TypeScript compiler,
// ~0.5 s to load): the write stage runs this check first and loads the merge only when something
// may be missing, so a run whose user files are complete (or not there yet) never loads ts-morph.

/**
 * The common case, without parsing: every member and import is visibly there. Returns undefined
 * when anything might be missing (then ts-morph decides). A watch run over a large domain merges
 * every user file, so this keeps unchanged files cheap.
 */
export function quickCheck(
  path: string,
  text: string,
  merge: UserFileMerge & { readonly imports: readonly RenderedImport[] },
): MergeResult | undefined {
  if (merge.container.kind === 'none') return undefined;
  const handled = handlesIn(text);
  if (merge.members.some((stub) => !present(text, handled, stub))) return undefined;
  // Imports need no check: with every member there, a name the text does not mention is not needed.
  const warnings: string[] = [];
  if (merge.container.kind === 'class' && merge.handledEvents) {
    const known = new Set(merge.handledEvents);
    for (const [event, method] of [...handled].sort()) {
      if (!known.has(event)) {
        warnings.push(
          `${path}: ${merge.container.name}.${method} handles ${event}, which ${merge.owner} no longer declares in the YAML. It was kept; delete it (and its import) when you no longer need it.`,
        );
      }
    }
    warnings.push(...orphanedCommandWarnings(path, text, merge));
  } else {
    return undefined; // object containers: let ts-morph list the properties for the report
  }
  return { text, added: [], warnings };
}

/**
 * The members a user-owned file visibly lacks, judged from its text alone (as {@link quickCheck}
 * does): what a merge would add, named in the error when the file cannot be parsed.
 */
export function missingMembers(text: string, merge: UserFileMerge): string[] {
  const handled = handlesIn(text);
  return merge.members.filter((stub) => !present(text, handled, stub)).map((stub) => stub.name);
}

/** Event name → method name, for each `@handles(Event) method(` in the text. */
function handlesIn(text: string): Map<string, string> {
  const handled = new Map<string, string>();
  for (const m of text.matchAll(
    /@handles\(\s*([A-Za-z_$][\w$]*)\s*\)\s*(?:(?:public|async)\s+)*([A-Za-z_$][\w$]*)\s*\(/g,
  ))
    handled.set(m[1]!, m[2]!);
  return handled;
}

function present(text: string, handled: ReadonlyMap<string, string>, stub: MemberStub): boolean {
  return declares(text, stub.name) || (stub.handles !== undefined && handled.has(stub.handles));
}

/**
 * True when `name` appears in `text` as a member declaration would: not preceded by a name
 * character or a dot, and followed (after any blank) by `(` or `:`. A scan with `indexOf` instead
 * of a regular expression built per member: a watch run checks every member of every user file.
 */
function declares(text: string, name: string): boolean {
  if (name === '') return false;
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    if (at > 0 && /[\w$.]/.test(text[at - 1]!)) continue;
    let next = at + name.length;
    while (next < text.length && /\s/.test(text[next]!)) next++;
    if (text[next] === '(' || text[next] === ':') return true;
  }
  return false;
}
