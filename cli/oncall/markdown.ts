/**
 * Text from the project (names, ids, messages) made safe for one Markdown table cell: a pull-request
 * author controls it, so it must not end the cell, start a new row, or inject HTML.
 */
export function markdownCell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/[<>&]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;" })[c]!)
    .replace(/\s*[\r\n]+\s*/g, " ");
}
