import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as testCommand } from "../../cli/commands/test.js";
import { captured } from "../support/stdout.js";

// JSON writes a quote as \" and a backslash as \\: a secret holding either reads differently in
// the JSON text than in the value, so `wk test --json` must redact the values, not the text.
const SECRET = 'Bearer s3cr"et\\path-42';

describe("wk test --json redacts a secret in a target's answer, even one JSON escapes", () => {
  let dir: string;
  let target: Server;
  let project: string;
  const before = process.env.ECHO_TOKEN;

  beforeAll(async () => {
    process.env.ECHO_TOKEN = SECRET;
    dir = await mkdtemp(join(tmpdir(), "wk-test-json-"));
    target = createServer((req, res) => {
      const sent = SECRET;
      // Its configuration page quotes the secret URL-encoded, and far enough into a header that the
      // check's 80-character quote of it ends inside the secret.
      if (req.url === "/config") return void res.writeHead(200, { "x-encoded": encodeURIComponent(sent), "x-long": `${"#".repeat(70)}${sent}` }).end("ok");
      res.writeHead(200, { "content-type": "application/json", "x-echo": sent }).end(JSON.stringify({ token: sent }));
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
    project = join(dir, "project");
    await mkdir(join(project, "monitors"), { recursive: true });
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "json-redaction-fixture", private: true, type: "module" }));
    await writeFile(
      join(project, "watchkeeper.config.ts"),
      `import { config } from "watchkeeper";\nexport default config({ name: "json-redaction-fixture", monitors: ["monitors/**/*.ts"], secrets: ["ECHO_TOKEN"], defaults: { timezone: "UTC" } });\n`,
    );
    // The target answers with the secret although the check did not send it (a debug endpoint
    // that prints its configuration): only the command's own redaction stands between it and the output.
    await writeFile(
      join(project, "monitors", "echo.ts"),
      `import { check, monitor } from "watchkeeper";
export const echo = monitor({ id: "echo", name: "Echo", schedule: { every: "1m" }, severity: "warning", summary: "{{message}}",
  check: check.http({ url: "${base}/", expect: { headers: { "x-echo": "fine" } } }) });
export const config = monitor({ id: "config", name: "Config", schedule: { every: "1m" }, severity: "warning", summary: "{{message}}",
  check: check.http({ url: "${base}/config", expect: { headers: { "x-encoded": "fine", "x-long": "fine" } } }) });
`,
    );
  }, 60_000);

  afterAll(async () => {
    if (before === undefined) delete process.env.ECHO_TOKEN;
    else process.env.ECHO_TOKEN = before;
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("prints [redacted] in place of the secret in every string of the JSON report, which stays valid JSON", async () => {
    const ran = await captured(() => testCommand({ monitors: ["echo"], project, json: true }));
    expect(ran.code).toBe(1);
    // Neither the value nor its JSON spelling is printed, nor the part after the quote.
    expect(ran.out).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(ran.out).not.toContain("et\\\\path-42");
    expect(ran.out).not.toContain("s3cr");
    const report = JSON.parse(ran.out) as { monitors: Array<{ id: string; series: Array<{ message: string; alert: { summary: string } | null }> }> };
    const [series] = report.monitors[0]!.series;
    expect(series!.message).toBe('header x-echo is "[redacted]", expected it to contain "fine"');
    expect(series!.alert!.summary).toBe(series!.message);
  }, 60_000);

  it("redacts it URL-encoded, and the head of it that the check's quote of a long header ends with, in both reports", async () => {
    for (const json of [true, false]) {
      const ran = await captured(() => testCommand({ monitors: ["config"], project, json }));
      expect(ran.code).toBe(1);
      expect(ran.out).not.toContain(encodeURIComponent(SECRET));
      expect(ran.out).not.toContain("Bearer%20s3");
      expect(ran.out).not.toContain("Bearer s3");
      expect(ran.out).toContain("[redacted]");
    }
  }, 60_000);

  it("redacts it in the text report too", async () => {
    const ran = await captured(() => testCommand({ monitors: ["echo"], project }));
    expect(ran.code).toBe(1);
    expect(ran.out).not.toContain("s3cr");
    expect(ran.out).toContain("[redacted]");
  }, 60_000);
});
