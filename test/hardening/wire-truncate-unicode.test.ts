import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactThenShorten } from "../../runtime/text/redact.js";
import { truncate, truncateMarked } from "../../runtime/text/truncate.js";

const isWellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed();
const graphemes = (text: string) => [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)].map((s) => s.segment);

const TRICKY = ["😀", "🇫🇷", "🇩🇪", "👩‍👩‍👧‍👦", "é", "e\u0301", "a\u0308\u0304", "🏳️‍🌈", "中", "\uD800", "x"];

describe("text is cut on grapheme boundaries and stays well-formed", () => {
  it("never splits an emoji, a flag or a letter with combining marks, and fits the budget", () => {
    const text = fc.array(fc.constantFrom(...TRICKY), { maxLength: 200 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 300 }), (input, max) => {
        for (const cut of [truncate(input, max), truncateMarked(input, max), redactThenShorten(input, max, ["🇫🇷🇩🇪x"])]) {
          expect(cut.length).toBeLessThanOrEqual(max);
          expect(isWellFormed(cut)).toBe(true);
        }
        const cut = truncate(input, max);
        if (cut.endsWith("…") && cut.length < input.length) {
          const kept = cut.slice(0, -1);
          const whole = graphemes(input.replace(/\uD800/g, "\uFFFD"));
          // The kept text is a run of the input's own whole graphemes.
          let joined = "";
          for (const g of whole) {
            if (joined.length >= kept.length) break;
            joined += g;
          }
          expect(joined).toBe(kept);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("cuts right before a flag or a family emoji instead of through it", () => {
    expect(truncate("ab🇫🇷🇩🇪", 7)).toBe("ab🇫🇷…");
    expect(truncate("ab🇫🇷🇩🇪", 6)).toBe("ab…");
    expect(truncate("x👩‍👩‍👧‍👦y", 8)).toBe("x…");
    expect(truncate("cafe\u0301 au lait", 5)).toBe("caf…");
    expect(truncate("cafe\u0301 au lait", 6)).toBe("cafe\u0301…");
  });

  it("says how much a long field lost", () => {
    const out = truncateMarked("x".repeat(10_000), 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).toMatch(/…\[truncated 99\d\d characters\]$/);
  });

  it("never leaves the head of a secret at the end of shortened text", () => {
    const secret = "Zq81-secret-tail-7788";
    const text = `token is ${secret.slice(0, 12)}`;
    expect(redactThenShorten(`${text} and more text after it`, text.length + 1, [secret])).not.toContain(secret.slice(0, 6));
    expect(redactThenShorten(`prefix ${secret} suffix`, 20, [secret])).toBe("prefix [redacted] s…");
  });
});
