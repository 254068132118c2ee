import { describe, expect, it } from "vitest";
import { redactUrlsIn, redactUrlsInText } from "../../runtime/redact-url.js";
import { monitorSpec } from "../runtime/support/manifest.js";
import { startHttpRuntime } from "./support/http-runtime.js";

const N = 100_000;
const ADVERSARIAL = [
  `${"a".repeat(N)}://x`,
  `${"a1".repeat(N / 2)}://x`,
  `${"a".repeat(N)} x://y`,
  `x://${"a".repeat(N)}`,
  `${"x://".repeat(N / 4)}`,
  `${"ab://c@".repeat(N / 7)}`,
  `${"a.b-c+d".repeat(N / 7)}://`,
];

function timed(f: () => unknown): number {
  const started = performance.now();
  f();
  return performance.now() - started;
}

describe("URL redaction takes time linear in its input, so no request can stall the runtime", () => {
  it("redacts 100,000-character adversarial texts in well under a second each", () => {
    for (const text of ADVERSARIAL) {
      expect(timed(() => redactUrlsIn(text)), text.slice(0, 20)).toBeLessThan(1_000);
      expect(timed(() => redactUrlsInText(text)), text.slice(0, 20)).toBeLessThan(1_000);
    }
  });

  it("still finds the URL at the end of a long run of scheme characters", () => {
    expect(redactUrlsIn(`${"a1".repeat(1000)}https://ops:pw-123@h/?token=t-456`)).not.toMatch(/pw-123|t-456/);
    expect(redactUrlsInText(`1-2.https://ops:pw-123@h/?token=t-456`)).toBe("1-2.https://h/?token=[redacted]");
  });

  it("answers an unauthenticated request for a 16 KB heartbeat id that looks like a URL at once", async () => {
    const rt = await startHttpRuntime({ monitors: [monitorSpec({ id: "site", schedule: { kind: "every", every: "1h" } })] });
    try {
      const started = performance.now();
      const res = await fetch(`${rt.url}/heartbeat/${"a".repeat(15_000)}:%2F%2Fx`);
      expect(res.status).toBe(404);
      await res.text();
      expect(performance.now() - started).toBeLessThan(300);
    } finally {
      await rt.stop();
    }
  });
});
