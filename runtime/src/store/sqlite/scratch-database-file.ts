import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A database file of a store opened on `':memory:'`. */
export interface ScratchDatabaseFile {
  /** The file's path, in a new directory of its own under the system's temporary directory. */
  readonly filename: string;
  /** Deletes the directory, with the database and its WAL files. Safe to call more than once. */
  remove(): void;
}

/** Directories of scratch databases not removed yet: whatever is left goes when the process exits. */
const left = new Set<string>();
let removeAtExit = false;

/**
 * A private, throw-away database file, for `SqliteEventStore` on `':memory:'`. A SQLite in-memory
 * database lives on one connection (and better-sqlite3 has neither shared cache nor URI names
 * that would let a second connection in), so the store's reader would share the writer's open
 * transaction and read its uncommitted rows. A file in WAL mode gives the reader its own
 * snapshot, exactly as for a named file. The store deletes it on `close()`; directories still
 * there when the process exits are deleted then, and a crash leaves them to the system's
 * temporary-file cleanup.
 */
export function scratchDatabaseFile(): ScratchDatabaseFile {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-memory-'));
  left.add(dir);
  if (!removeAtExit) {
    removeAtExit = true;
    process.on('exit', () => {
      for (const path of left) rmSync(path, { recursive: true, force: true });
    });
  }
  return {
    filename: join(dir, 'events.db'),
    remove: () => {
      left.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
