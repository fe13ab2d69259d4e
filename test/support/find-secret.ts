/**
 * Where `secret` occurs in `value`: every own property (enumerable or not, so `message`, `stack`
 * and `cause` too) is searched, nested objects and arrays included. Returns the paths, e.g.
 * `['cause.input']`; empty when the secret appears nowhere.
 */
export function findSecret(value: unknown, secret: string): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const walk = (item: unknown, path: string): void => {
    if (typeof item === 'string') {
      if (item.includes(secret)) found.push(path || '(root)');
      return;
    }
    if (item === null || (typeof item !== 'object' && typeof item !== 'function') || seen.has(item)) return;
    seen.add(item);
    for (const key of Reflect.ownKeys(item as object)) {
      const descriptor = Object.getOwnPropertyDescriptor(item, key);
      const child = descriptor && 'value' in descriptor ? descriptor.value : undefined;
      walk(child, path ? `${path}.${String(key)}` : String(key));
    }
  };
  walk(value, '');
  return found;
}
