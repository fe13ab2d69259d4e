import { createHash } from 'node:crypto';

/**
 * A generated file's third header line, `// eventsmith-digest: <input>.<output>`: a hash of the
 * emitted (unformatted) text and a hash of the formatted file. When a file on disk carries the
 * digest of what this run emits, and its content still hashes to the output half (nobody edited
 * it), it is up to date and prettier need not run: that keeps `generate` fast in a new process.
 */
export const DIGEST_PREFIX = '// eventsmith-digest: ';
const PLACEHOLDER = '0'.repeat(16);

/** Adds the digest line (input half filled in, output half a placeholder) after the header. */
export function withDigest(raw: string): { text: string; input: string } {
  const input = hash(raw);
  const end = headerEnd(raw);
  return { text: `${raw.slice(0, end)}${DIGEST_PREFIX}${input}.${PLACEHOLDER}\n${raw.slice(end)}`, input };
}

/** Fills in the output half once the text is formatted. */
export function sealDigest(formatted: string): string {
  const line = `.${PLACEHOLDER}\n`;
  const at = formatted.indexOf(line);
  if (at < 0) return formatted;
  return `${formatted.slice(0, at)}.${hash(withoutDigestLine(formatted))}\n${formatted.slice(at + line.length)}`;
}

/** True when `existing` was generated from the same input and has not been edited since. */
export function upToDate(existing: string, input: string): boolean {
  const match = /^\/\/ eventsmith-digest: ([0-9a-f]{16})\.([0-9a-f]{16})$/m.exec(existing);
  return match !== null && match[1] === input && match[2] === hash(withoutDigestLine(existing));
}

function withoutDigestLine(text: string): string {
  return text.replace(/^\/\/ eventsmith-digest: [0-9a-f]{16}\.[0-9a-f]{16}\n/m, '');
}

function headerEnd(raw: string): number {
  let at = 0;
  while (raw.startsWith('//', at)) at = raw.indexOf('\n', at) + 1;
  return at;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
