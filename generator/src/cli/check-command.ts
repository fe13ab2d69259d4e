import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { formatDomainError, sortDomainErrors, type DomainError } from '@eventsmith/schema';
import { Layout } from '../emit/common/layout.js';
import { checkEventLock, EventLockFormatError, parseEventLock, type EventLock } from '../emit/lock/index.js';
import { generateProject } from '../generate-project.js';
import { gitShowFile, runGit } from '../git.js';
import { CliFailure, type CliError } from './cli-error.js';
import type { EventsmithConfig } from '../config/config.js';
import type { CliIo } from './io.js';
import { printErrors, type OutputFormat } from './report.js';

/**
 * `eventsmith check --against <git ref or lock file>`: compares today's domain YAML with the event
 * lock of another revision and lists every breaking change at its YAML line. Needs git for a ref,
 * never a database. Returns the exit status: 0 none, 1 breaking changes (or invalid YAML).
 */
export async function checkAgainst(
  io: CliIo,
  config: EventsmithConfig,
  against: string,
  format: OutputFormat,
): Promise<number> {
  const outcome = await generateProject({ config, validateOnly: true, checkEventLock: false });
  if (!outcome.ok) {
    printErrors(io, format, outcome.domainErrors, outcome.cliErrors);
    return 1;
  }
  const domains = config.domains.map((d, i) => ({
    model: outcome.models[i]!,
    lockPath: new Layout({ outDir: d.output, userDir: d.userDir }).eventLock,
  }));
  const file = await lockFile(io.cwd, against);
  const errors: DomainError[] = [];
  const notes: string[] = [];
  let compared = 0;
  if (file) {
    const lock = parse(file.text, file.display);
    const domain = domains.find((d) => d.model.name === lock.domain);
    if (!domain) {
      throw new CliFailure([
        {
          code: 'CHECK.DOMAIN_MISMATCH',
          message: `${file.display} is the lock of domain "${lock.domain}", which the config does not have (${domains.map((d) => d.model.name).join(', ')}).`,
          fix: "Pass the events.lock.json of one of the config's domains, or a git ref to compare every domain.",
        },
      ]);
    }
    errors.push(...checkEventLock(lock, domain.model, { lockName: file.display }));
    compared = 1;
  } else {
    await resolveRef(config.root, against);
    const missing: string[] = [];
    for (const d of domains) {
      if (d.model.events.length === 0) continue;
      const text = await gitShow(config.root, against, d.lockPath);
      if (text === undefined) {
        missing.push(d.lockPath);
        continue;
      }
      const name = `${against}:${d.lockPath}`;
      errors.push(...checkEventLock(parse(text, name), d.model, { lockName: name }));
      compared++;
    }
    // A domain added since has nothing published there; a revision without any lock is an error,
    // since passing would only say that nothing was compared.
    if (compared === 0 && missing.length > 0) {
      throw new CliFailure([
        {
          code: 'CHECK.NO_LOCK',
          message: `${against} has no ${missing.join(', ')}: nothing was recorded there to compare with.`,
          fix: `Run \`eventsmith generate\` on ${against} and commit the lock it writes (it is part of the generated code), or pass --against a revision that has it.`,
        },
      ]);
    }
    for (const path of missing) notes.push(`${against} has no ${path}: a new domain, nothing published there yet.`);
  }
  if (format === 'json') {
    io.out(
      `${JSON.stringify({ against, errors: sortDomainErrors(errors), ...(notes.length ? { notes } : {}) }, null, 2)}\n`,
    );
    return errors.length > 0 ? 1 : 0;
  }
  for (const note of notes) io.err(`note: ${note}\n`);
  if (errors.length > 0) {
    io.out(
      `${sortDomainErrors(errors).map(formatDomainError).join('\n\n')}\n\n${errors.length} breaking change${errors.length === 1 ? '' : 's'} against ${against}.\n`,
    );
  } else {
    io.out(
      `eventsmith: no breaking changes against ${against} (${compared} domain${compared === 1 ? '' : 's'} compared).\n`,
    );
  }
  return errors.length > 0 ? 1 : 0;
}

/** `--against` names a lock file when a regular file of that name exists; otherwise it is a git ref. */
async function lockFile(cwd: string, against: string): Promise<{ text: string; display: string } | undefined> {
  const path = resolve(cwd, against);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  const display = isAbsolute(against) ? against : relative(cwd, path).replace(/\\/g, '/');
  return { text: await readFile(path, 'utf8'), display };
}

function parse(text: string, name: string): EventLock {
  try {
    return parseEventLock(text);
  } catch (error) {
    if (!(error instanceof EventLockFormatError)) throw error;
    throw new CliFailure([
      {
        code: 'CHECK.INVALID_LOCK',
        message: `${name} is not an event lock: ${error.reason}.`,
        fix: "Pass the events.lock.json that `eventsmith generate` writes into a domain's output folder, or a git ref.",
      },
    ]);
  }
}

async function resolveRef(root: string, ref: string): Promise<void> {
  const inside = await git(root, ['rev-parse', '--is-inside-work-tree']);
  if (inside.status !== 0) {
    throw new CliFailure([
      {
        code: 'CHECK.NOT_A_REPOSITORY',
        message: `"${ref}" is not a file, and ${root} is not in a git repository, so it cannot be a git ref either.`,
        fix: 'Run the check inside the git checkout of the project, or pass the path of an events.lock.json.',
      },
    ]);
  }
  const found = await git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (found.status !== 0) {
    const error: CliError = {
      code: 'CHECK.UNKNOWN_REF',
      message: `"${ref}" is neither a file nor a git ref of this repository.`,
      fix: ref.endsWith('.json')
        ? 'Check the path of the lock file.'
        : `In CI, fetch it first (for example \`git fetch origin ${ref.replace(/^origin\//, '')}\`, or check out with fetch-depth: 0), then pass it as origin/<branch> or a commit.`,
    };
    throw new CliFailure([error]);
  }
}

/** The file at `ref`, or undefined when the revision does not have it (`resolveRef` ran git first). */
function gitShow(root: string, ref: string, lockPath: string): Promise<string | undefined> {
  return gitShowFile(root, ref, lockPath);
}

/** Runs git without a shell; `status` is its exit code. A missing git is a {@link CliFailure}. */
async function git(cwd: string, args: readonly string[]): Promise<{ status: number; stdout: string }> {
  const result = await runGit(cwd, args);
  if (result.missing) {
    throw new CliFailure([
      {
        code: 'CHECK.NO_GIT',
        message: 'git is not installed (or not on the PATH), so a git ref cannot be read.',
        fix: 'Install git, or pass the path of an events.lock.json with --against.',
      },
    ]);
  }
  return result;
}
