import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { deployedRecordFromOutputs, stackOutputsOfDeployment } from "../../infra/automation/deployed-record.js";
import { findPulumiCli } from "../../infra/automation/pulumi-cli.js";
import { readDeployed } from "../../infra/automation/read-deployed.js";
import { workspaceOptions, PROJECT_NAME } from "../../infra/automation/workspace.js";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("the deployed manifest is recorded in the stack", () => {
  test("the Pulumi program exports the deployed manifest, and it reads back as the same manifest", async () => {
    const manifest = sampleManifest();
    const { outputs } = await runUnderMocks(manifest);
    expect(JSON.parse(outputs.deployedManifest).hash).toBe(manifest.hash);
    // As `pulumi stack export` holds it: the root stack resource's outputs, beside the resources.
    const exported = {
      resources: [
        { type: "pulumi:providers:pagerduty", urn: "urn:pulumi:production::watchkeeper::pulumi:providers:pagerduty::default" },
        { type: "pulumi:pulumi:Stack", outputs: { manifestHash: outputs.manifestHash, deployedManifest: outputs.deployedManifest, routingKeys: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } } },
      ],
    };
    expect(deployedRecordFromOutputs(stackOutputsOfDeployment(exported))).toEqual({ kind: "manifest", manifest });
  });

  test("a stack with no outputs has nothing deployed; an older one has the hash only", () => {
    expect(deployedRecordFromOutputs(null)).toEqual({ kind: "none" });
    expect(deployedRecordFromOutputs(stackOutputsOfDeployment({ resources: [] }))).toEqual({ kind: "none" });
    expect(deployedRecordFromOutputs({ manifestHash: "sha256:1" })).toEqual({ kind: "hash-only", hash: "sha256:1" });
  });

  test("a record edited in the state, or whose two outputs disagree, is not trusted", () => {
    const manifest = sampleManifest();
    const edited = { ...manifest, monitors: [] };
    const tampered = deployedRecordFromOutputs({ manifestHash: manifest.hash, deployedManifest: canonicalJson(edited, 0) });
    expect(tampered).toMatchObject({ kind: "invalid", reason: expect.stringContaining("content hash does not match") });
    const other = sampleManifest((d) => (d.monitors[0]!.for = "9m"));
    const disagree = deployedRecordFromOutputs({ manifestHash: manifest.hash, deployedManifest: canonicalJson(other, 0) });
    expect(disagree).toMatchObject({ kind: "invalid", reason: expect.stringContaining("the stack outputs disagree") });
    expect(deployedRecordFromOutputs({ manifestHash: manifest.hash, deployedManifest: "{" })).toMatchObject({ kind: "invalid" });
  });
});

const pulumiCli = findPulumiCli(process.env);

if (!pulumiCli) {
  describe("reading the deployed record through the Automation API", () => {
    test.skip("skipped: pulumi CLI not on PATH (install it to read a file:// stack through the Automation API)", () => {});
  });
  console.warn("Automation API test of the deployed record skipped: pulumi CLI not on PATH");
} else {
  describe("reading the deployed record through the Automation API", () => {
    test("a file:// stack reads as nothing deployed until an up records a manifest, then as that manifest", { timeout: 180_000 }, async () => {
      const stateDir = await mkdtemp(join(tmpdir(), "wk-record-"));
      dirs.push(stateDir);
      const env = { ...process.env, PULUMI_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: "test-passphrase" };
      const options = { stackName: "production", stateDir, env, pulumiBin: pulumiCli };
      expect(await readDeployed(options)).toEqual({ kind: "none" });
      const manifest = sampleManifest();
      // The record alone (no PagerDuty resources): what the program exports for a deployed manifest.
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: "production", projectName: PROJECT_NAME, program: async () => ({ manifestHash: manifest.hash, deployedManifest: canonicalJson(manifest, 0) }) },
        await workspaceOptions(stateDir, env, pulumiCli),
      );
      await stack.up();
      expect(await readDeployed(options)).toEqual({ kind: "manifest", manifest });
    });
  });
}
