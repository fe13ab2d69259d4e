let tsxRegistered = false;

/**
 * Imports a project's `.ts` module (generated code, aggregate classes). The installed CLI runs as
 * plain JavaScript, so when Node cannot load TypeScript by itself, tsx's loader is registered
 * (once) and the import retried.
 */
export async function importTypeScript(url: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    if (tsxRegistered || (error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
    return await import(`${url}?tsx`); // a new URL: Node keeps the failed import of the old one
  }
}
