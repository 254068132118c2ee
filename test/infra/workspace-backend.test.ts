import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

// No pulumi CLI is needed to see what the workspace would be given.
vi.mock("@pulumi/pulumi/automation/index.js", () => ({ PulumiCommand: { get: async () => ({}) } }));

// Files share a worker and its module graph (vitest.config.ts): load the modules afresh, so they
// take the mock above rather than the real Automation API another file loaded, and drop them again
// after this file, so no later file gets modules bound to this file's mock.
vi.resetModules();
const { workspaceOptions } = await import("../../infra/automation/workspace.js");
afterAll(() => void vi.resetModules());

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("the Automation API workspace", () => {
  it("keeps a backend URL's password out of the Pulumi.yaml it writes under the state folder, and gives it to the CLI in its environment", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-workspace-"));
    dirs.push(dir);
    const backend = "postgres://pulumi:pg-pass-canary-31@db.internal:5432/state";
    const options = await workspaceOptions(dir, { PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "p" }, "/opt/pulumi/bin/pulumi");
    // The project settings are written to workDir/Pulumi.yaml, a file nobody treats as secret.
    expect(JSON.stringify(options.projectSettings)).not.toContain("pg-pass-canary-31");
    expect(options.envVars?.["PULUMI_BACKEND_URL"]).toBe(backend);
    // A backend without credentials is still written down, as before.
    const plain = await workspaceOptions(dir, { PULUMI_BACKEND_URL: "s3://state-bucket?region=eu-west-1" }, "/opt/pulumi/bin/pulumi");
    expect(plain.projectSettings?.backend).toEqual({ url: "s3://state-bucket?region=eu-west-1" });
  });
});
