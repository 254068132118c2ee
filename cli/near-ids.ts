/** Up to three known ids closest to a mistyped one (edit distance, or containing it), for hints. */
export function nearIds(wanted: string, known: string[]): string[] {
  return known
    .map((id) => ({ id, d: id.includes(wanted) || wanted.includes(id) ? 0 : distance(wanted, id) }))
    .filter((x) => x.d <= Math.max(3, Math.floor(wanted.length / 3)))
    .sort((a, b) => a.d - b.d || a.id.localeCompare(b.id))
    .slice(0, 3)
    .map((x) => x.id);
}

/** Levenshtein distance: the edits that turn `a` into `b`. */
export function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
