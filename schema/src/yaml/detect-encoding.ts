/** The encoding named in messages; `binary` is a file with NUL bytes in no recognisable pattern. */
export type WrongEncoding = 'UTF-16' | 'UTF-16LE' | 'UTF-16BE' | 'UTF-32LE' | 'UTF-32BE' | 'binary';

/**
 * Why `text` (a file decoded as UTF-8) is not UTF-8 text, or undefined when it may be: the file
 * was saved as UTF-16 or UTF-32 (a byte order mark, which UTF-8 decoding turns into U+FFFD, or
 * the NUL bytes that those encodings put next to every ASCII character), or it holds NUL bytes
 * (YAML never does). Recognises the encoding from the first 4 KiB.
 *
 * @example
 * ```ts
 * detectWrongEncoding(readFileSync('domain/bank.yaml', 'utf8')); // 'UTF-16LE' for a file saved as "Unicode" on Windows
 * ```
 */
export function detectWrongEncoding(text: string): WrongEncoding | undefined {
  const head = text.slice(0, 4096);
  const bad = '\uFFFD';
  if (head.startsWith(`${bad}${bad}\u0000\u0000`)) return 'UTF-32LE';
  if (head.startsWith(`\u0000\u0000${bad}${bad}`)) return 'UTF-32BE';
  // No UTF-8 text starts with two undecodable bytes; UTF-16's byte order marks FF FE and FE FF are two.
  if (head.startsWith(`${bad}${bad}`)) return nulParity(head.slice(2)) ?? 'UTF-16';
  if (!text.includes('\u0000')) return undefined;
  return nulParity(head) ?? 'binary';
}

/** UTF-16 text that is mostly ASCII has NUL in every other position: after each character (LE) or before it (BE). */
function nulParity(text: string): 'UTF-16LE' | 'UTF-16BE' | undefined {
  let even = 0;
  let odd = 0;
  const n = Math.min(text.length, 512);
  for (let i = 0; i < n; i++) if (text[i] === '\u0000') i % 2 === 0 ? even++ : odd++;
  const most = (n / 2) * 0.6;
  if (odd > most && even * 10 < odd) return 'UTF-16LE';
  if (even > most && odd * 10 < even) return 'UTF-16BE';
  return undefined;
}
