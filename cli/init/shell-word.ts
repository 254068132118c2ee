/** Characters a POSIX shell reads as themselves in a word. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** Control, format (bidi, zero-width) and separator characters: a terminal hides or obeys them. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * A path as one word to paste into bash or zsh: as it is when plain, in single quotes when it holds
 * spaces, quotes, `$(...)` or a glob, and as `$'...'` with the invisible characters spelled out
 * (`\u200b`, `\u001b`) when it holds any, so a terminal escape in a folder name is shown, not
 * obeyed. A leading dash gets `./`, so `cd` does not read it as an option.
 */
export function shellWord(path: string): string {
  const word = path.startsWith("-") ? `./${path}` : path;
  if (PLAIN_WORD.test(word)) return word;
  if (!new RegExp(INVISIBLE.source, "u").test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  const escaped = word.replace(/[\\']/g, (ch) => `\\${ch}`).replace(INVISIBLE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  return `$'${escaped}'`;
}
