import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { domainError, type DomainError } from './domain-error.js';
import type { SourceLocation } from './model.js';
import { err, ok, type Result } from './result.js';
import { DEFAULT_YAML_LIMITS } from './yaml/parse-yaml-file.js';

export interface ReadDomainFileOptions {
  /** The path as messages show it (e.g. relative to the project); default: `path`. */
  readonly displayPath?: string;
  /** Largest accepted file in UTF-16 code units, like the loader's `limits.maxFileSize` (default 4 MiB). */
  readonly maxFileSize?: number;
}

/**
 * Reads one domain YAML file as UTF-8 text, or says why it cannot: missing, unreadable, too large,
 * or not a regular file. Never blocks on a FIFO or a device (the file is opened non-blocking and
 * checked before anything is read), and never throws.
 *
 * @example
 * ```ts
 * const read = readDomainFileSync('/work/app/domain/bank.yaml', { displayPath: 'domain/bank.yaml' });
 * if (read.ok) sources.push({ path: 'domain/bank.yaml', text: read.value });
 * else errors.push(read.errors);
 * ```
 */
export function readDomainFileSync(path: string, options: ReadDomainFileOptions = {}): Result<string, DomainError> {
  const where: SourceLocation = { file: options.displayPath ?? path, line: 1, col: 1, path: '' };
  const maxFileSize = options.maxFileSize ?? DEFAULT_YAML_LIMITS.maxFileSize;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. Not on Windows.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const info = statOrUndefined(path);
    if (info && !info.isFile()) return err(notRegular(info, where));
    return err(cannotRead(path, errorCode(error), where));
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return err(notRegular(info, where));
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so larger files are certainly over the limit.
    if (info.size > maxFileSize * 3) {
      return err(
        domainError(
          'YAML.TOO_LARGE',
          `The file is ${info.size} bytes long; the limit is about ${maxFileSize} characters.`,
          'Split the domain into several files.',
          where,
        ),
      );
    }
    return ok(readFileSync(fd, 'utf8'));
  } catch (error) {
    return err(cannotRead(path, errorCode(error), where));
  } finally {
    closeSync(fd);
  }
}

function notRegular(info: Stats, where: SourceLocation): DomainError {
  return domainError(
    'FILE.NOT_REGULAR',
    `The path is ${kindOf(info)}, not a regular file; it was not read.`,
    info.isDirectory()
      ? 'Name the folder (not a file inside it) as the input, or rename the folder so it does not end in .yaml.'
      : 'Domain YAML must be regular files: remove it from the input folder, or rename it so it does not end in .yaml.',
    where,
  );
}

function cannotRead(path: string, code: string, where: SourceLocation): DomainError {
  switch (code) {
    case 'ENOENT': {
      const link = lstatOrUndefined(path)?.isSymbolicLink() === true;
      return link
        ? domainError(
            'FILE.READ',
            'The file is a symbolic link to a file that does not exist.',
            'Fix or remove the link.',
            where,
          )
        : domainError(
            'FILE.READ',
            'The file does not exist.',
            'Check the path in the eventsmith config; the file may have been moved or deleted.',
            where,
          );
    }
    case 'ELOOP':
      return domainError(
        'FILE.READ',
        'The file is a symbolic link that leads back to itself.',
        'Fix or remove the link.',
        where,
      );
    case 'EACCES':
    case 'EPERM':
      return domainError(
        'FILE.READ',
        'No permission to read the file.',
        'Make the file readable for the user that runs eventsmith.',
        where,
      );
    default:
      return domainError(
        'FILE.READ',
        `Cannot read the file (${code}).`,
        'Check the path and its permissions in the eventsmith config.',
        where,
      );
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : 'unknown error';
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
