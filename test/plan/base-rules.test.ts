import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, test, vi } from "vitest";
import { run } from "../../cli/commands/plan.js";
import { UserError } from "../../cli/errors.js";

/**
 * A git base is held only to what the plan needs from it (a valid manifest with unique ids): the
 * pull request that removes a leaked token from main, or that fixes what a newly added rule finds,
 * must still plan. And what the plan shows of such a base does not repeat the token. Real
 * compiler, real git.
 */
const repos: string[] = [];
afterAll(() => {
  for (const dir of repos) rmSync(dir, { recursive: true, force: true });
});

const TOKEN = "Bearer abcdefghijklmnopqrstuvwxyz0123456789";
const CONFIG = 'import { config } from "watchkeeper";\nexport default config({ name: "base-rules", secrets: ["API_TOKEN", "SLACK_WEBHOOK_ONCALL"] });\n';
// A Slack channel, so that the plan previews the messages (and runs the summary functions).
const monitorModule = (authorization: string, summary: string) => `import { channel, check, monitor, secret } from "watchkeeper";

export const slack = channel.slack({ id: "oncall-slack", webhookUrl: secret("SLACK_WEBHOOK_ONCALL"), channel: "#oncall" });
export const api = monitor({
  id: "api-up",
  schedule: { every: "1m" },
  check: check.http({ url: "https://api.example.test/health", headers: { authorization: ${authorization} } }),
  channels: [slack],
  summary: ${summary},
});
`;

function repo(files: Record<string, string>): { dir: string; write: (file: string, text: string) => void } {
  const dir = mkdtempSync(join(tmpdir(), "wk-base-rules-"));
  repos.push(dir);
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  write("package.json", JSON.stringify({ name: "base-rules", private: true, type: "module" }));
  for (const [file, text] of Object.entries(files)) write(file, text);
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.test", "-c", "user.name=t", ...args], { cwd: dir, encoding: "utf8" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  return { dir, write };
}

async function plan(dir: string, format: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const o = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  try {
    return { code: await run({ project: dir, format, base: "main" }), out: out.join("") };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { code: error.exitCode, out: `${out.join("")}${error.message}\n${error.hint ?? ""}` };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe("wk plan --base against a base that breaks a rule", () => {
  test("the pull request that removes a leaked token from main plans, and no output repeats the token", async () => {
    // main has the token in a header and in a summary function's text.
    const r = repo({ "watchkeeper.config.ts": CONFIG, "monitors/api.ts": monitorModule(JSON.stringify(TOKEN), `() => "calls with ${TOKEN}"`) });
    r.write("monitors/api.ts", monitorModule('secret("API_TOKEN")', '() => "API is down"'));
    for (const format of ["text", "markdown", "json"]) {
      const { code, out } = await plan(r.dir, format);
      expect(code, out).toBe(0);
      expect(out).toContain("api-up");
      expect(out).not.toContain("abcdefghijklmnop");
    }
    const { out } = await plan(r.dir, "markdown");
    expect(out).toContain('check.headers.authorization: "Bearer …"');
    // The base's summary function ran for the preview; what it returned is cut too.
    expect(out).toContain("[FIRING] calls with Bearer …");
  });

  test("a base with a duplicate id is still refused: the diff matches entries by id", async () => {
    const duplicate = 'import { check, monitor } from "watchkeeper";\nexport const again = monitor({ id: "api-up", schedule: { every: "1m" }, check: check.tcp({ host: "db.example.test", port: 5432 }), summary: "down" });\n';
    const r = repo({ "watchkeeper.config.ts": CONFIG, "monitors/api.ts": monitorModule('secret("API_TOKEN")', '"API is down"'), "monitors/again.ts": duplicate });
    r.write("monitors/again.ts", duplicate.replace('id: "api-up"', 'id: "db-up"'));
    const { code, out } = await plan(r.dir, "text");
    expect(code).toBe(1);
    expect(out).toMatch(/the base main does not compile/);
    expect(out).toMatch(/unique-ids/);
  });
});
