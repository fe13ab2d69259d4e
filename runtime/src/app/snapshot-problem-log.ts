import type { SnapshotProblem } from '../aggregates/aggregate-repository.js';
import type { AppLogger } from './create-app.js';

/**
 * How an app logs the snapshot problems of its repositories. An outdated snapshot is expected
 * after a deploy that changed an aggregate: each load of it replays the stream from the start
 * until its next snapshot replaces the old one, which an aggregate that is only read never gets.
 * So it is logged once per aggregate type and cause, not on every load (the repository metrics
 * count the replayed loads). A snapshot that cannot be read, is corrupt or cannot be saved is
 * logged each time, with its error.
 */
export function snapshotProblemLog(logger: AppLogger): (problem: SnapshotProblem) => void {
  const outdated = new Set<string>();
  return (problem) => {
    const { aggregateType: type, aggregateId: id } = problem;
    switch (problem.kind) {
      case 'outdated': {
        const by = problem.outdatedBy ?? 'stateVersion';
        const key = `${type}\u0000${by}`;
        if (outdated.has(key)) return;
        outdated.add(key);
        const changed =
          by === 'fingerprint'
            ? 'another snapshotFingerprint (the state, event versions or upcast steps in the YAML changed since)'
            : `another stateVersion (the class's is ${type}.stateVersion)`;
        logger.warn(
          `eventsmith: snapshots of ${type} (first: ${id}) were taken under ${changed}: they are ignored, and loads replay each stream from the start until a new snapshot of it is taken. Logged once per aggregate type in this app.`,
          { aggregateType: type, aggregateId: id, outdatedBy: by },
        );
        return;
      }
      case 'read-failed':
        logger.warn(
          `eventsmith: the snapshot of ${type} ${id} could not be read (${reason(problem.error)}): the load replayed the stream from the start.`,
          { aggregateType: type, aggregateId: id, error: problem.error },
        );
        return;
      case 'corrupt':
        logger.error(
          `eventsmith: the snapshot of ${type} ${id} is corrupt (${reason(problem.error)}): it was ignored and the load replayed the stream from the start.`,
          { aggregateType: type, aggregateId: id, error: problem.error },
        );
        return;
      case 'write-failed':
        logger.warn(
          `eventsmith: a snapshot of ${type} ${id} could not be saved (${reason(problem.error)}): the events were saved; later loads replay more of the stream.`,
          { aggregateType: type, aggregateId: id, error: problem.error },
        );
        return;
    }
  };
}

function reason(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/\.$/, '');
  return error === undefined ? 'no reason given' : String(error);
}
