import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { field, jsonBytes, shrinkToFit } from "./fit.js";

/** The largest grapheme cluster below (a family emoji, 25 bytes) plus a digit the marker may lose. */
const MARGIN_BYTES = 32;

const PIECES = ["中", "한", "😀", "👩‍👩‍👧‍👦", "🇫🇷", "é", "e\u0301", "x", " ", '"', "\n", "\\"];
const multiByteText = fc.array(fc.constantFrom(...PIECES), { minLength: 50, maxLength: 4_000 }).map((p) => p.join(""));

/** Whether the text survives a UTF-8 round trip: no lone surrogate, nothing a decoder would replace. */
function validUtf8(text: string): boolean {
  return Buffer.from(text, "utf8").toString("utf8") === text;
}

describe("shrinkToFit on multi-byte text", () => {
  it("check output in CJK over the budget by 3,000 bytes loses about 1,000 characters, not 3,000", () => {
    const output = "数据库连接超时".repeat(3_000);
    const payload = { details: { output } };
    const budget = jsonBytes(payload) - 3_000;
    shrinkToFit(payload, budget, [field(payload.details, "output")]);
    expect(jsonBytes(payload)).toBeLessThanOrEqual(budget);
    expect(budget - jsonBytes(payload)).toBeLessThan(MARGIN_BYTES);
    expect(payload.details.output.length).toBeGreaterThan(output.length - 1_050);
  });

  it("the result fits the budget, stays valid UTF-8 and is cut no more than needed", () => {
    fc.assert(
      fc.property(multiByteText, fc.double({ min: 0, max: 1, noNaN: true }), (text, share) => {
        const whole = jsonBytes({ text });
        fc.pre(whole > 200);
        // From just above an empty cut with its marker to just under the whole text.
        const budget = Math.floor(100 + share * (whole - 101));
        const payload: Record<string, unknown> = { text };
        shrinkToFit(payload, budget, [field(payload, "text")]);
        const out = payload["text"] as string;
        expect(jsonBytes(payload)).toBeLessThanOrEqual(budget);
        expect(budget - jsonBytes(payload)).toBeLessThan(MARGIN_BYTES);
        expect(validUtf8(out)).toBe(true);
        const head = out.slice(0, out.lastIndexOf("…[truncated "));
        expect(text.startsWith(head)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("a JSON value cut to fit is measured as the text it becomes", () => {
    fc.assert(
      fc.property(fc.array(multiByteText, { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 1, noNaN: true }), (texts, share) => {
        const payload: Record<string, unknown> = { check: { lines: texts } };
        const whole = jsonBytes(payload);
        fc.pre(whole > 200);
        const budget = Math.floor(120 + share * (whole - 121));
        shrinkToFit(payload, budget, [field(payload, "check")]);
        expect(jsonBytes(payload)).toBeLessThanOrEqual(budget);
        expect(budget - jsonBytes(payload)).toBeLessThan(MARGIN_BYTES);
        expect(validUtf8(payload["check"] as string)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
