/** UTF-8 that is not valid is refused rather than turned into U+FFFD; a UTF-8 byte order mark is dropped. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * A file's bytes as the text a user wrote in it, or why they are not text: a secret, a token,
 * a keys file or a compiled manifest is UTF-8. The byte order mark that Windows editors (Notepad, PowerShell's
 * `Out-File`) put first is not part of a token or a routing key (no header can carry it, and
 * JSON.parse refuses a document that starts with it), so it goes. A file saved as UTF-16 (Windows
 * PowerShell's `>`) or holding bytes that are not UTF-8 would be a value nobody typed, refused by
 * every vendor without a word on why: it is refused here, saying how to save it. The problem never
 * quotes the bytes: they are a secret.
 */
export function textOfFile(bytes: Uint8Array): { text: string } | { problem: string } {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return { problem: "is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8" };
  }
  try {
    return { text: strictUtf8.decode(bytes) };
  } catch {
    return { problem: "is not UTF-8 text; save it as UTF-8" };
  }
}
