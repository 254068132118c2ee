import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../runtime/logger.js";
import { redact, redactThenShorten } from "../../runtime/text/redact.js";

// Whatever the text and the secrets, what redaction leaves holds none of them: not after the
// replacement (the marker `[redacted]` can join with its neighbours into a secret made of its own
// characters), and not after a cut. Secrets are drawn from an alphabet rich in the marker's and
// the cut's characters, where such joins are likely.

const alphabet = fc.constantFrom(..."[redacted]…ab%\"\\/:@?=&".split(""));
const word = (min: number, max: number) => fc.array(alphabet, { minLength: min, maxLength: max }).map((a) => a.join(""));
const RUNS = Number(process.env.WK_PROPERTY_RUNS ?? 2000);

describe("redaction leaves no secret behind", () => {
  it("in the redacted text and in every cut of it", () => {
    fc.assert(
      fc.property(fc.array(word(4, 8), { minLength: 1, maxLength: 3 }), fc.array(fc.oneof(word(0, 4), fc.constant(0), fc.constant(1)), { maxLength: 8 }), fc.integer({ min: 1, max: 40 }), (secrets, pieces, max) => {
        const text = pieces.map((p) => (typeof p === "number" ? secrets[p % secrets.length]! : p)).join("");
        const outs = [redact(text, secrets), redactThenShorten(text, max, secrets)];
        for (const out of outs) for (const secret of secrets) expect(out).not.toContain(secret);
      }),
      { numRuns: RUNS },
    );
  });

  it("in a JSON log line, which stays JSON", () => {
    fc.assert(
      fc.property(fc.array(word(4, 8), { minLength: 1, maxLength: 3 }), fc.array(fc.oneof(word(0, 4), fc.constant(0), fc.constant(1)), { maxLength: 8 }), (secrets, pieces) => {
        const text = pieces.map((p) => (typeof p === "number" ? secrets[p % secrets.length]! : p)).join("");
        const out = redactSecrets(JSON.stringify({ level: 30, msg: text, err: { message: text } }), secrets);
        const parsed = JSON.parse(out) as { msg: string; err: { message: string } };
        for (const secret of secrets) {
          expect(parsed.msg).not.toContain(secret);
          expect(parsed.err.message).not.toContain(secret);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a secret the marker rebuilds is removed too", () => {
    expect(redact("dd[re", ["d[re"])).not.toContain("d[re");
    expect(redact("plain text", ["d[re"])).toBe("plain text");
    expect(redact("token hunter22 here", ["hunter22"])).toBe("token [redacted] here");
  });
});
