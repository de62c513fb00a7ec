import damerauLevenshtein from 'damerau-levenshtein';

/**
 * "Did you mean": the candidates within a typo or two of `word` (a third of its length, at
 * least one edit), nearest first. Damerau's distance counts a swap of two letters ("craete")
 * as one edit, as people make it.
 */
export function closest(word: string, candidates: readonly string[]): string[] {
  const target = word.toLowerCase();
  const limit = Math.max(1, Math.floor(target.length / 3));
  const near = [...new Set(candidates)]
    .map((candidate) => ({candidate, d: damerauLevenshtein(target, candidate.toLowerCase()).steps}))
    .filter(({d}) => d <= limit);
  // Only the nearest: "craete" suggests create, not also close.
  const best = Math.min(...near.map(({d}) => d));
  return near
    .filter(({d}) => d === best)
    .map(({candidate}) => candidate)
    .sort();
}
