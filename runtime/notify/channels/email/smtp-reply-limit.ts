/**
 * The longest SMTP reply we read. Real servers answer EHLO in a few hundred bytes; a server that
 * sends more is broken or hostile, and nodemailer's parser costs time quadratic in a reply's size.
 */
export const SMTP_REPLY_MAX_BYTES = 8 * 1024;
/**
 * The most lines in one reply. nodemailer's cost grows with lines times bytes: 8 KiB of empty
 * `250-` lines (1,365 of them) still holds the event loop for 50-100 ms, 128 lines for about 1 ms.
 * Real EHLO answers have 10 to 20.
 */
export const SMTP_REPLY_MAX_LINES = 128;
/** The error code of a connection closed for an oversized reply. */
export const OVERSIZED_REPLY = "EREPLYSIZE";

/** Where the reader is in the current line: `NNN-` continues a reply, any other line ends it. */
type LineStart = "start" | "code" | "continues" | "ends";

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DASH = 0x2d;
const NEWLINE = 0x0a;

function nextLineStart(state: LineStart, byte: number): LineStart {
  if (byte >= DIGIT_0 && byte <= DIGIT_9) return "code";
  if (byte === DASH && state === "code") return "continues";
  return "ends";
}

/**
 * Measures the reply a server is sending, framed as nodemailer frames it (lines split at `\n`; a
 * line starting with digits and `-` continues the reply), so that a reply is refused before
 * nodemailer's parser sees it. Linear in the bytes read.
 */
export class ReplySizeGuard {
  private bytes = 0;
  private lines = 0;
  private line: LineStart = "start";

  constructor(
    private readonly maxBytes = SMTP_REPLY_MAX_BYTES,
    private readonly maxLines = SMTP_REPLY_MAX_LINES,
  ) {}

  /** Takes the next chunk from the server; false when the reply in progress is over the limit. */
  accept(chunk: Uint8Array): boolean {
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, from);
      const end = newline === -1 ? chunk.length : newline + 1;
      for (let i = from; i < end && (this.line === "start" || this.line === "code"); i++) {
        this.line = nextLineStart(this.line, chunk[i]!);
      }
      this.bytes += end - from;
      if (this.bytes > this.maxBytes) return false;
      if (newline !== -1) {
        if (this.line === "continues") {
          if (++this.lines >= this.maxLines) return false;
        } else {
          this.bytes = 0;
          this.lines = 0;
        }
        this.line = "start";
      }
      from = end;
    }
    return true;
  }
}
