import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `name`, if it is close enough to be a likely typo
 * (case-insensitive edit distance at most a third of the name's length, and at least 1 allowed).
 */
export function closestMatch(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

/** ` Did you mean "X"?` or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closestMatch(name, candidates);
  return match === undefined ? '' : ` Did you mean "${match}"?`;
}

/** A short, sorted, quoted list for fix texts: `"a", "b", "c" (and 4 more)`. */
export function listChoices(candidates: Iterable<string>, max = 8): string {
  const all = [...new Set(candidates)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (all.length === 0) return '(none declared)';
  const shown = all.slice(0, max).map((c) => `"${c}"`).join(', ');
  return all.length > max ? `${shown} (and ${all.length - max} more)` : shown;
}
