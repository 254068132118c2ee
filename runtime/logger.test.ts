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

  it("keeps every JSON line valid when a secret is a number, a JSON literal or ends in a backslash, and still removes it", () => {
    const secrets = ["2024", "true", "pa55\\", "quo\"te"];
    const out = capture();
    const logger = createLogger({ secretValues: () => secrets, destination: out.destination });
    logger.info({ durationMs: 12024, ok: true, attempt: 2024 }, "checked");
    logger.warn({ answer: "denied for pa55\\ and quo\"te" }, "vendor said pa55\\");
    logger.info({ nested: { list: [2024, true, "x pa55\\"] } }, "nested");
    const lines = out.text().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(3);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ durationMs: "[redacted]", ok: "[redacted]", attempt: "[redacted]", msg: "checked" });
    expect(parsed[1]).toMatchObject({ answer: "denied for [redacted] and [redacted]", msg: "vendor said [redacted]" });
    expect(parsed[2]).toMatchObject({ nested: { list: ["[redacted]", "[redacted]", "x [redacted]"] } });
    for (const line of lines) for (const secret of secrets) expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
  });

  it("removes a secret held in a Buffer, which a log line writes as a list of byte values (a client's command arguments, a raw answer)", () => {
    const out = capture();
    const logger = createLogger({ secretValues: () => ["tok3n-abcdef"], destination: out.destination });
    logger.error({ err: Object.assign(new Error("AUTH failed"), { command: { name: "auth", args: [Buffer.from("tok3n-abcdef")] } }) }, "redis said no");
    logger.warn({ answer: { body: Buffer.from("denied for tok3n-abcdef, try again") }, other: Buffer.from("fine") }, "vendor said");
    const lines = out.text().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(2);
    const bytes = (text: string) => [...Buffer.from(text)].join(",");
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(bytes("tok3n-abcdef"));
    }
    expect(JSON.parse(lines[1]!)).toMatchObject({ answer: { body: { type: "Buffer", data: "[redacted]" } }, other: { type: "Buffer", data: [...Buffer.from("fine")] } });
  });

  it("keeps a JSON line valid when a secret matches the inside of an escape (a PIN 0000 and the \\u0000 a NUL is written as)", () => {
    const out = capture();
    const logger = createLogger({ secretValues: () => ["0000", "001b"], destination: out.destination });
    logger.warn({ answer: "nul \u0000 esc \u001b pin 0000 and 001b" }, "vendor answered");
    const lines = out.text().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ answer: "nul \u0000 esc \u001b pin [redacted] and [redacted]" });
  });

  it("removes every form the results and the API remove: a webhook URL's path and token, its Basic credentials, a value escaped three times", () => {
    const slack = "https://hooks.slack.com/services/T0A1B2C3D/B0A1B2C3D/xoxhooktoken77ab";
    const hook = "https://alerts:hunter2pass@hooks.example.com/in";
    const quoted = 'pa"ss\\word-9f3';
    const out = capture();
    const logger = createLogger({ secretValues: () => [slack, hook, quoted], destination: out.destination });
    // A vendor or proxy quoting only the request line, only the token, or the Authorization header it got.
    logger.warn({ answer: "POST /services/T0A1B2C3D/B0A1B2C3D/xoxhooktoken77ab refused" }, "vendor said");
    logger.warn({ answer: "unknown token xoxhooktoken77ab" }, "vendor said");
    logger.warn({ answer: `Authorization: Basic ${Buffer.from("alerts:hunter2pass").toString("base64")}` }, "vendor said");
    // An echoed request inside an echoed answer inside a log field.
    logger.warn({ answer: JSON.stringify({ body: JSON.stringify({ body: JSON.stringify({ key: quoted }) }) }) }, "vendor said");
    const lines = out.text().split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    const text = out.text();
    expect(text).not.toContain("xoxhooktoken77ab");
    expect(text).not.toContain("T0A1B2C3D/B0A1B2C3D");
    expect(text).not.toContain(Buffer.from("alerts:hunter2pass").toString("base64"));
    expect(text).not.toContain("word-9f3");
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

  describe("a terminal's log lines cannot be forged or hidden by what users and vendors write", () => {
    // What a monitor's name, a check's output, a webhook or a vendor's answer may carry.
    const HOSTILE = "checkout\r\n[12:00:00.000] INFO: all monitors ok\u001b[2J\u009b31m\u0085\u2028\u202Enuf\u2066x\u2069\u0000\u007f\tend";
    const CONTROLS = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

    it("pretty logs keep each entry's message on one line and show every control and bidi override escaped", () => {
      const out = capture();
      const logger = createLogger({ secretValues: () => [CANARY], destination: out.destination, format: "pretty" });
      logger.warn({ monitorId: HOSTILE, output: { body: HOSTILE, [HOSTILE]: 1 }, answer: [HOSTILE] }, `check of ${HOSTILE} failed with ${CANARY}`);
      logger.error({ err: new Error(`vendor said ${HOSTILE}`) }, "send failed");
      const lines = out.text().split("\n").filter((l) => l !== "");
      // Every line is an entry's head or indented under it: only the two entries start a line.
      expect(lines.filter((l) => !/^\s/.test(l))).toHaveLength(2);
      for (const line of lines) expect(line, line).not.toMatch(CONTROLS);
      const [first] = lines;
      expect(first).toContain("WARN: check of checkout\\r\\n[12:00:00.000] INFO: all monitors ok\\u001b[2J\\u009b31m\\u0085\\u2028\\u202enuf\\u2066x\\u2069\\u0000\\u007f\\tend failed with [redacted]");
      expect(out.text()).not.toContain(CANARY);
      // The error's stack still reads frame by frame.
      expect(lines.filter((l) => /^\s+at /.test(l)).length).toBeGreaterThan(1);
    });

    it("JSON logs stay one valid JSON object a line, holding the text exactly as written", () => {
      const out = capture();
      const logger = createLogger({ secretValues: () => [], destination: out.destination });
      logger.warn({ monitorId: HOSTILE }, HOSTILE);
      const lines = out.text().split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ monitorId: HOSTILE, msg: HOSTILE });
    });
  });
});
