/** State of one partition this member owns. */
export interface OwnedPartition {
  readonly partition: number;
  readonly stream: string;
  active: boolean;
  ready: boolean;
  /** Read our own pending entries (from `scanFrom`) before new ones: after a takeover or a read error. */
  pendingScan: boolean;
  scanFrom: string;
  readonly parked: Set<string>;
  /** Entries read and not finished (queued or running). */
  readonly inFlight: Set<string>;
  /** Handlers running or XACKs in flight; a graceful hand-over waits for 0. */
  busy: number;
  readonly onIdle: (() => void)[];
  /** For the lanes: true once the partition is no longer ours (queued work is skipped). */
  readonly revoked: () => boolean;
  /** Retry entries taken and not finished; made due again if the partition is handed over. */
  readonly taken: Set<string>;
  lastClaim: number;
}

/** Waits until nothing of the partition is running or being acknowledged, at most `timeoutMs`. */
export async function idleWithin(state: OwnedPartition, timeoutMs: number): Promise<boolean> {
  if (state.busy === 0) return true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    new Promise<boolean>((resolve) => state.onIdle.push(() => resolve(true))),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
  ]);
  clearTimeout(timer);
  return settled;
}
