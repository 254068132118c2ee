import { readFile } from "node:fs/promises";

/**
 * The part of a results file written by hand below its generated tables: from the first line that
 * starts with `heading` to the end ("" when the file or the line is missing). A benchmark writes its
 * new tables followed by this, so a run never drops what earlier sessions wrote there.
 */
export async function handWrittenPart(file: string, heading: string): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  if (text.startsWith(heading)) return text;
  const at = text.indexOf(`\n${heading}`);
  return at < 0 ? "" : text.slice(at + 1);
}
