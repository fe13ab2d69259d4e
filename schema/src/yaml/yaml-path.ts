/** One step of a YAML path: a map key or a sequence index. */
export type PathSegment = string | number;

const SIMPLE_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * Renders a path as people read it: `aggregates.BankAccount.events.AccountOpened.history.1`,
 * sequence indexes as `[0]`, odd keys quoted (`types["my type"]`).
 */
export function formatYamlPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (SIMPLE_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Parses an ajv `instancePath` (JSON Pointer) into segments; `arrays` says which prefixes are arrays. */
export function fromJsonPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
