/** One line of a source diff. */
export interface DiffLine {
  op: "same" | "removed" | "added" | "skipped";
  text: string;
}

/** Unchanged lines kept around each change. */
const CONTEXT = 2;
/** Above this many lines a side, the diff is "all removed, all added" (LCS is quadratic). */
const MAX_LINES = 400;

/**
 * A line diff of two source texts (longest common subsequence), with long unchanged runs folded
 * into one `skipped` line so a one-line edit in a long function reads as one.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === "" ? [] : before.split("\n");
  const b = after === "" ? [] : after.split("\n");
  return fold(a.length > MAX_LINES || b.length > MAX_LINES ? [...a.map(removed), ...b.map(added)] : lcs(a, b));
}

function removed(text: string): DiffLine {
  return { op: "removed", text };
}

function added(text: string): DiffLine {
  return { op: "added", text };
}

function lcs(a: string[], b: string[]): DiffLine[] {
  // lengths[i][j]: length of the common subsequence of a[i..] and b[j..].
  const lengths = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] = a[i] === b[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: "same", text: a[i]! });
      i++;
      j++;
    } else if (lengths[i + 1]![j]! >= lengths[i]![j + 1]!) out.push(removed(a[i++]!));
    else out.push(added(b[j++]!));
  }
  while (i < a.length) out.push(removed(a[i++]!));
  while (j < b.length) out.push(added(b[j++]!));
  return out;
}

function fold(lines: DiffLine[]): DiffLine[] {
  const out: DiffLine[] = [];
  let start = 0;
  while (start < lines.length) {
    if (lines[start]!.op !== "same") {
      out.push(lines[start++]!);
      continue;
    }
    let end = start;
    while (end < lines.length && lines[end]!.op === "same") end++;
    const keepBefore = start === 0 ? 0 : CONTEXT;
    const keepAfter = end === lines.length ? 0 : CONTEXT;
    if (end - start > keepBefore + keepAfter + 1) {
      out.push(...lines.slice(start, start + keepBefore));
      out.push({ op: "skipped", text: `⋯ ${end - start - keepBefore - keepAfter} unchanged line(s)` });
      out.push(...lines.slice(end - keepAfter, end));
    } else out.push(...lines.slice(start, end));
    start = end;
  }
  return out;
}
