import { describe, expect, it } from "vitest";
import { scrubText } from "../../runtime/checks/shared/secret-scrub.js";
import { errorExcerpt } from "../../runtime/checks/check-error.js";
import { classifyHttp } from "../../runtime/notify/http-send.js";
import { redactThenShorten } from "../../runtime/notify/redact.js";

const SECRET = "Rk7-vendor-echoed-routing-key-0f9e8d7c6b5a";

function pieces(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 6 <= secret.length; i++) out.push(secret.slice(i, i + 6));
  return out;
}

describe("a cut made before the secrets were known still hides them", () => {
  it("a vendor answer that echoes a secret across the 200-character reason cut leaks none of it once redacted", () => {
    for (let offset = 150; offset < 210; offset++) {
      const answer = classifyHttp({ status: 400, headers: {}, body: `${"x".repeat(offset)}${SECRET} trailing` }, 0);
      if (answer.ok) throw new Error("expected a failure");
      // What the retry stage stores and logs.
      const reason = redactThenShorten(answer.failure.reason, 500, [SECRET]);
      for (const piece of pieces(SECRET)) expect(reason, `offset ${offset}`).not.toContain(piece);
    }
  });

  it("a runner's error excerpt that cuts through a secret leaks none of it after runCheck's scrub", () => {
    for (let offset = 250; offset < 310; offset++) {
      const message = scrubText(`script threw: ${errorExcerpt(`${"y".repeat(offset)}${SECRET}`)}`, [SECRET]);
      for (const piece of pieces(SECRET)) expect(message, `offset ${offset}`).not.toContain(piece);
    }
  });
});
