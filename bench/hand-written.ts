import { readFile } from "node:fs/promises";

/**
 * The part of a results file written by hand below its generated tables: from the first line that
 * starts with `heading` to the end. A benchmark writes its new tables followed by this, so a run
 * never drops what earlier sessions wrote there. A missing file has none (""). A file that cannot
 * be read, or that lacks the heading, throws before the benchmark runs: writing over it would lose
 * its sections. (bench/compile/run.mjs, plain JavaScript, applies the same rule to compile.md.)
 */
export async function handWrittenPart(file: string, heading: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
  if (text.startsWith(heading)) return text;
  const at = text.indexOf(`\n${heading}`);
  if (at < 0) throw new Error(`${file} has no line starting with "${heading}", where its hand-written sections begin: put the heading back (or move the file away) before running this benchmark, or they would be overwritten`);
  return text.slice(at + 1);
}
