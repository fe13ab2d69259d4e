const IMPORT = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*(['"])([^'"]+)\3/g;
const SPECIFIER = /^(?:type\s+)?([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/;

/** One name a file imports by name: `import { A as B } from 'c'` gives name A, local B, from c. */
export interface NamedImport {
  readonly name: string;
  readonly local: string;
  readonly from: string;
  /** The offset in the text where its specifier starts, for a file:line:col. */
  readonly at: number;
}

/**
 * Each name imported in braces in `text` (`import { A, type B as C } from '…'`, `import type
 * { D } from '…'`), in order, read from the text (no parser: it runs on files that may not
 * compile). The user-file checks use it to find imports of types the generator no longer writes.
 */
export function* namedImports(text: string): Generator<NamedImport> {
  for (const match of text.matchAll(IMPORT)) {
    let offset = match.index + match[0].indexOf('{') + 1;
    for (const part of match[2]!.split(',')) {
      const at = offset + (part.length - part.trimStart().length);
      offset += part.length + 1;
      const specifier = SPECIFIER.exec(part.trim());
      if (specifier) yield { name: specifier[1]!, local: specifier[2] ?? specifier[1]!, from: match[4]!, at };
    }
  }
}
