import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { deployStack } from "../../infra/automation/deploy-stack.js";
import { DeployFailure } from "../../infra/automation/deploy-failure.js";
import { readDeployed } from "../../infra/automation/read-deployed.js";
import { findPulumiCli } from "../../infra/automation/pulumi-cli.js";
import { sampleManifest } from "./sample-manifest.js";

const pulumiCli = findPulumiCli(process.env);
const dirs: string[] = [];

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wk-automation-"));
  dirs.push(dir);
  return dir;
}

describe("Automation API settings checks (no engine needed)", () => {
  test("a local backend without a passphrase stops before Pulumi starts, saying what to set", async () => {
    const dir = await stateDir();
    const error = await deployStack({
      manifest: sampleManifest(),
      stackName: "production",
      stateDir: dir,
      env: { PATH: process.env["PATH"] ?? "", PAGERDUTY_TOKEN: "pd-secret-canary" },
      pulumiBin: "pulumi",
      expectedBaseHash: null,
      onOutput: () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployFailure);
    expect((error as DeployFailure).kind).toBe("config");
    expect((error as DeployFailure).hint).toContain("PULUMI_CONFIG_PASSPHRASE");
    expect(String((error as DeployFailure).message)).not.toContain("pd-secret-canary");
  });
});

describe("a backend URL that holds a password (Pulumi's PostgreSQL backend)", () => {
  const backend = "postgres://pulumi:pg-pass-canary-31@db.internal:5432/state?sslmode=require";

  test("is named without its password when a deploy refuses to start", async () => {
    const error = await deployStack({
      manifest: sampleManifest(),
      stackName: "production",
      stateDir: await stateDir(),
      env: { PATH: process.env["PATH"] ?? "", PAGERDUTY_TOKEN: "pd-secret-canary", PULUMI_BACKEND_URL: backend },
      pulumiBin: "pulumi",
      expectedBaseHash: null,
      onOutput: () => {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployFailure);
    expect((error as DeployFailure).message).toContain("postgres://db.internal:5432/state");
    expect(`${(error as DeployFailure).message}\n${(error as DeployFailure).hint}`).not.toContain("pg-pass-canary-31");
  });

  test("is named without its password when the deployed record cannot be read", async () => {
    const dir = await stateDir();
    const error = await readDeployed({
      stackName: "production",
      stateDir: dir,
      env: { PATH: process.env["PATH"] ?? "", PULUMI_BACKEND_URL: backend, PULUMI_CONFIG_PASSPHRASE: "passphrase-canary" },
      pulumiBin: join(dir, "no-pulumi", "bin", "pulumi"),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployFailure);
    expect((error as DeployFailure).message).toContain("postgres://db.internal:5432/state");
    expect(`${(error as DeployFailure).message}\n${(error as DeployFailure).hint}`).not.toContain("pg-pass-canary-31");
  });
});

if (!pulumiCli) {
  describe("Automation API against the pulumi CLI", () => {
    test.skip("skipped: pulumi CLI not on PATH (install it to run the Automation API tests)", () => {});
  });
  console.warn("Automation API tests skipped: pulumi CLI not on PATH");
} else {
  describe("Automation API against the pulumi CLI", () => {
    test("opens a file:// stack and refuses to run without a PagerDuty token", { timeout: 120_000 }, async () => {
      const dir = await stateDir();
      const error = await deployStack({
        manifest: sampleManifest(),
        stackName: "ci-check",
        stateDir: dir,
        env: { PULUMI_CONFIG_PASSPHRASE: "test-passphrase" },
        pulumiBin: pulumiCli,
        expectedBaseHash: null,
        onOutput: () => {},
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeployFailure);
      expect((error as DeployFailure).message).toContain("no PagerDuty API token");
    });

    test("refuses a plan whose base is not what the stack was deployed from", { timeout: 120_000 }, async () => {
      const dir = await stateDir();
      const error = await deployStack({
        manifest: sampleManifest(),
        stackName: "ci-check",
        stateDir: dir,
        env: { PULUMI_CONFIG_PASSPHRASE: "test-passphrase", PAGERDUTY_TOKEN: "x" },
        pulumiBin: pulumiCli,
        expectedBaseHash: "sha256:not-deployed",
        onOutput: () => {},
      }).catch((e: unknown) => e);
      expect((error as DeployFailure).message).toContain("was last deployed from manifest (nothing)");
    });
  });
}
