/** Where a problem outside the domain YAML is (a config file position), when there is one. */
export interface ProjectLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
}

/**
 * A problem the user can fix that is not in the domain YAML: the config file, a command-line
 * flag, a database URL, a generated file the last run wrote. Same shape as the loader's errors:
 * code, what, how to fix, where.
 */
export interface ProjectError {
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  readonly where?: ProjectLocation;
}
