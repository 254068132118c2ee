import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, logFormatFor } from "./logger.js";
import { createSecretSource } from "./secrets.js";

const CANARY = "canary-7f3a9e-Sup3r\"Secret/Value";

function capture() {
  let text = "";
  const destination = new Writable({ write(chunk, _enc, done) { text += String(chunk); done(); } });
  return { destination, text: () => text };
}

describe("secrets and log redaction", () => {
  it("never writes a secret value to the logs, whatever field or encoding carries it", () => {
    const secrets = createSecretSource({ declared: ["API_TOKEN"], env: { API_TOKEN: CANARY }, now: () => 0 });
    const out = capture();
    const logger = createLogger({ secretValues: () => secrets.values(), destination: out.destination });
    logger.info({ header: `Bearer ${CANARY}` }, "calling");
    logger.error({ err: new Error(`401 for token ${CANARY}`) }, "failed");
    logger.warn(`url https://x/?t=${encodeURIComponent(CANARY)}`);
    logger.info({ nested: { deep: [CANARY] } }, "nested");
    expect(out.text()).not.toContain(CANARY);
    expect(out.text()).not.toContain(JSON.stringify(CANARY).slice(1, -1));
    expect(out.text()).not.toContain(encodeURIComponent(CANARY));
    expect(out.text().match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(4);
  });

  it("reads secrets from the environment first, then from files, and lists the missing by name", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-secrets-"));
    try {
      await writeFile(join(dir, "FROM_FILE"), "file-value\n");
      let now = 0;
      const s = createSecretSource({ declared: ["FROM_ENV", "FROM_FILE", "LATER"], env: { FROM_ENV: "env-value" }, dir, now: () => now });
      expect(s.get("FROM_ENV")).toBe("env-value");
      expect(s.get("FROM_FILE")).toBe("file-value");
      expect(s.missing()).toEqual(["LATER"]);
      // A secret mounted after start-up is picked up once the file cache refreshes.
      await writeFile(join(dir, "LATER"), "late-value");
      now = 10_000;
      expect(s.missing()).toEqual([]);
      expect(s.values().sort()).toEqual(["env-value", "file-value", "late-value"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads as one human line each on a terminal, JSON in a container, and redacts both", () => {
    expect(logFormatFor({}, true)).toBe("pretty");
    expect(logFormatFor({}, false)).toBe("json");
    expect(logFormatFor({ WK_LOG_FORMAT: "json" }, true)).toBe("json");
    expect(logFormatFor({ WK_LOG_FORMAT: "pretty" }, false)).toBe("pretty");
    const out = capture();
    const logger = createLogger({ secretValues: () => [CANARY], destination: out.destination, format: "pretty" });
    logger.info({ monitorId: "checkout", dedupKey: "wk-checkout", header: `Bearer ${CANARY}` }, "alert firing");
    const text = out.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toContain("alert firing");
    expect(text).toContain("wk-checkout");
    expect(text).not.toContain(CANARY);
    expect(text).toContain("[redacted]");
  });
});
