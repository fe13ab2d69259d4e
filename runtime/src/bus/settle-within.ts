/**
 * Waits until every promise in `work` has settled, or `timeoutMs` has passed, whichever comes
 * first. Returns whether everything settled in time. Never rejects.
 */
export async function settleWithin(work: readonly Promise<unknown>[], timeoutMs: number): Promise<boolean> {
  if (work.length === 0) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    Promise.allSettled(work).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  return settled;
}
