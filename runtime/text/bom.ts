/**
 * Text without the UTF-8 byte order mark (U+FEFF) that Windows editors (Notepad, PowerShell's
 * `Out-File`) put at the start of a file. The user never meant it as part of a token or a routing
 * key, no header can carry it, and JSON.parse refuses a document that starts with it; Node's UTF-8
 * decoding keeps it, so a file read for a value goes through this first.
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
