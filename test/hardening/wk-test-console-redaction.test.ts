import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuild, wk } from "../gitops/cli-process.js";

// `wk test` runs the project's code in its own process (the runtime runs it in a code worker whose
// output it redacts): what that code prints reaches the terminal or the CI log.
const TOKEN = "pr1nted-T0KEN-from-a-script-check";
const OTHER = "0ther-secret-printed-to-stderr";

describe("wk test redacts what the project's code prints", () => {
  let dir: string;
  let project: string;

  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-test-console-"));
    project = join(dir, "project");
    await mkdir(join(project, "monitors"), { recursive: true });
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "console-redaction-fixture", private: true, type: "module" }));
    await writeFile(
      join(project, "watchkeeper.config.ts"),
      `import { config } from "watchkeeper";\nexport default config({ name: "console-redaction-fixture", monitors: ["monitors/**/*.ts"], secrets: ["PRINTED_TOKEN", "OTHER_SECRET"], defaults: { timezone: "UTC" } });\n`,
    );
    await writeFile(
      join(project, "monitors", "printer.ts"),
      `import { check, monitor } from "watchkeeper";
export const printer = monitor({ id: "printer", name: "Printer", schedule: { every: "1m" }, severity: "warning", summary: "{{message}}",
  check: check.script({ run: async ({ secret }) => {
    console.log("debug: token is " + secret("PRINTED_TOKEN"));
    console.error("debug: other is " + secret("OTHER_SECRET"));
    process.stdout.write(JSON.stringify({ token: secret("PRINTED_TOKEN") }) + "\\n");
    return { ok: true, message: "printed" };
  } }) });
`,
    );
  }, 180_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prints [redacted] in place of every declared secret in its stdout and stderr", async () => {
    const ran = await wk(["test", "printer", "--project", project], { env: { PRINTED_TOKEN: TOKEN, OTHER_SECRET: OTHER, WK_CACHE: "off" }, timeoutMs: 120_000 });
    expect(ran.stdout + ran.stderr).toContain("debug: token is [redacted]");
    expect(ran.stderr).toContain("debug: other is [redacted]");
    expect(ran.stdout).toContain("result: ok");
    expect(ran.stdout + ran.stderr).not.toContain(TOKEN);
    expect(ran.stdout + ran.stderr).not.toContain(OTHER);
    expect(ran.code).toBe(0);
  }, 180_000);
});
