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
  if (best !== undefined && bestDistance <= limit) return best;
  // Two letters swapped ("nmae" for "name") is one slip, though it is two edits.
  return [...candidates].filter((c) => c !== name && swapsTwoLetters(lower, c.toLowerCase())).sort()[0];
}

/** `a` is `b` with two neighbouring letters swapped. */
function swapsTwoLetters(a: string, b: string): boolean {
  if (a.length !== b.length || a.length < 2) return false;
  const differ = [...a].flatMap((ch, i) => (ch === b[i] ? [] : [i]));
  const [i, j] = differ;
  return differ.length === 2 && j === i! + 1 && a[i!] === b[j] && a[j] === b[i!];
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
  const shown = all
    .slice(0, max)
    .map((c) => `"${c}"`)
    .join(', ');
  return all.length > max ? `${shown} (and ${all.length - max} more)` : shown;
}

/**
 * Type names from other languages and databases, and eventsmith's types each may mean, best
 * first. An unknown field or column type that is one of these gets the first of them that is
 * allowed there as its suggestion, also where the spelling is too far off for
 * {@link closestMatch} (`str` → `string`, `timestamp` → `datetime`).
 */
export const TYPE_ALIASES: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries({
    str: ['string'],
    char: ['string'],
    varchar: ['string'],
    nvarchar: ['string'],
    int: ['integer'],
    int32: ['integer'],
    int64: ['bigint', 'integer'],
    long: ['bigint', 'integer'],
    short: ['integer'],
    smallint: ['integer'],
    bool: ['boolean'],
    float: ['number'],
    double: ['number'],
    real: ['number'],
    float64: ['number'],
    numeric: ['decimal'],
    money: ['decimal'],
    bigdecimal: ['decimal'],
    timestamp: ['datetime'],
    timestamptz: ['datetime'],
    instant: ['datetime'],
    localdatetime: ['datetime'],
    localdate: ['date'],
    guid: ['uuid'],
    jsonb: ['json'],
  }),
);

/**
 * The type `name` most likely means among `candidates`: its alias (`int` → `integer`) when one is
 * a candidate, else the closest spelling. Matching ignores case.
 */
export function closestType(name: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const alias = TYPE_ALIASES.get(name.toLowerCase())?.find((t) => list.includes(t));
  return alias ?? closestMatch(name, list);
}
