import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as runCommand } from "../../cli/commands/run.js";
import { run as testCommand } from "../../cli/commands/test.js";
import { UserError } from "../../cli/errors.js";
import { manifestOf, monitorSpec, writeArtifact } from "./support/manifest.js";
import { captured } from "../support/stdout.js";


describe("wk test and wk run (commands in process)", () => {
  let dir: string;
  let target: Server;
  let latency = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-cli-"));
    target = createServer((req, res) => {
      const status = req.url === "/down" ? 503 : 200;
      setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify({ queue: latency })), 0);
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
    const project = join(dir, "project");
    await mkdir(join(project, "monitors"), { recursive: true });
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "cli-fixture", private: true, type: "module" }));
    await writeFile(
      join(project, "watchkeeper.config.ts"),
      `import { config } from "watchkeeper";\nexport default config({ name: "cli-fixture", monitors: ["monitors/**/*.ts"], secrets: [], defaults: { timezone: "UTC" } });\n`,
    );
    await writeFile(
      join(project, "monitors", "site.ts"),
      `import { check, monitor } from "watchkeeper";
export const up = monitor({ id: "site-up", name: "Site up", schedule: { every: "1m" }, severity: "warning",
  check: check.http({ url: "${base}/up" }) });
export const down = monitor({ id: "site-down", name: "Site down", schedule: { every: "1m" }, severity: "warning",
  summary: "{{name}}: {{message}}", check: check.http({ url: "${base}/down" }) });
export const queue = monitor({ id: "queue-depth", name: "Queue depth", schedule: { every: "1m" }, severity: "warning",
  check: check.http({ url: "${base}/up" }), condition: (r) => r.ok && (r.details as { status?: number }).status === 999 });
`,
    );
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((r) => target.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("runs named monitors once against their real targets and exits 1 when one would fire", async () => {
    const down = await captured(() => testCommand({ monitors: ["site-up", "site-down"], project: join(dir, "project"), json: true }));
    expect(down.code).toBe(1);
    const report = JSON.parse(down.out) as { monitors: Array<{ id: string; series: Array<{ ok: boolean; firing: boolean; alert: { dedupKey: string; summary: string } | null }> }> };
    const [up, failing] = report.monitors;
    expect(up).toMatchObject({ id: "site-up", series: [{ ok: true, firing: false, alert: null }] });
    expect(failing).toMatchObject({ id: "site-down", series: [{ ok: false, firing: true, alert: { dedupKey: "wk-site-down" } }] });
    expect(failing!.series[0]!.alert!.summary).toMatch(/^Site down: /);

    const fine = await captured(() => testCommand({ monitors: ["site-up", "queue-depth"], project: join(dir, "project") }));
    expect(fine.code).toBe(0);
    expect(fine.out).toContain("condition: not firing");
  }, 60_000);

  it("answers an unknown id with exit 2 and the nearest ids", async () => {
    const error = await testCommand({ monitors: ["site-dwon"], project: join(dir, "project") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(2);
    expect((error as UserError).hint).toContain("site-down");
  }, 60_000);

  it("refuses an artifact with an unknown apiVersion, saying why", async () => {
    const artifact = join(dir, "future");
    await writeArtifact(artifact, manifestOf([monitorSpec({ id: "a" })]));
    const manifest = JSON.parse(await readFile(join(artifact, "manifest.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(artifact, "manifest.json"), JSON.stringify({ ...manifest, apiVersion: "watchkeeper.dev/v9" }));
    const error = (await runCommand({ artifact, port: 0, host: "127.0.0.1", state: join(dir, "state") }).catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('unsupported manifest apiVersion "watchkeeper.dev/v9"');
  });

  it("refuses to start with --strict-secrets when a declared secret is missing, naming it", async () => {
    const artifact = join(dir, "strict");
    await writeArtifact(artifact, manifestOf([monitorSpec({ id: "a" })], ["WK_TEST_SURELY_UNSET_SECRET"]));
    const error = (await runCommand({ artifact, port: 0, host: "127.0.0.1", state: join(dir, "state2"), strictSecrets: true }).catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toContain("WK_TEST_SURELY_UNSET_SECRET");
  });
});
