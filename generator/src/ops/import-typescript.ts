/** True when this module itself runs as TypeScript: a loader (tsx, in a checkout) is already active. */
const typeScriptLoaded = import.meta.url.endsWith('.ts');
let tsxRegistered: Promise<void> | undefined;

/**
 * Imports a project's `.ts` module (generated code, aggregate classes). The installed CLI runs as
 * plain JavaScript, so tsx's loader is registered (once) before the first import. It must come
 * first: Node caches a failed import, so an `index.ts` that failed once would fail again for every
 * later module that imports it (a user's aggregate class importing the generated index), and a
 * retry under another URL would load a second copy of the generated classes.
 */
export async function importTypeScript(url: string): Promise<unknown> {
  if (!typeScriptLoaded) await (tsxRegistered ??= import('tsx/esm/api').then(({ register }) => void register()));
  return await import(url);
}
