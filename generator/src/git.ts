import { execFile } from 'node:child_process';

/** What a git run gave: its exit code and output, or `missing` when git is not installed (not on the PATH). */
export type GitResult =
  { readonly missing: true } | { readonly missing: false; readonly status: number; readonly stdout: string };

/** Runs git in `cwd` without a shell and without prompting; never throws for git's own failures. */
export function runGit(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((done) => {
    execFile(
      'git',
      args,
      { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } },
      (error, stdout) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          done({ missing: true });
          return;
        }
        done({ missing: false, status: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout });
      },
    );
  });
}

/**
 * The text of `path` (relative to `root`) at git revision `ref`, or undefined when the revision does
 * not have it, `root` is not in a git repository, or git is not installed.
 */
export async function gitShowFile(root: string, ref: string, path: string): Promise<string | undefined> {
  const shown = await runGit(root, ['show', `${ref}:./${path}`]);
  return !shown.missing && shown.status === 0 ? shown.stdout : undefined;
}
