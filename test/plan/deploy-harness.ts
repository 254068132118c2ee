import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeployResult, DeployStackOptions } from "../../infra/automation/deploy-stack.js";
import { DeployFailure } from "../../infra/automation/deploy-failure.js";
import { deployedRecordFromOutputs } from "../../infra/automation/deployed-record.js";
import type { DeployDeps, DeployProjectOptions } from "../../cli/plan/deploy-project.js";
import { canonicalJson, type Manifest } from "../../sdk/manifest/index.js";
import { compileFixture } from "./git-fixture.js";

export const CANARY_KEY = "R0UTING-CANARY-4b7e";

/**
 * A project folder whose "compile" reads manifest.json, and a stack that behaves like the real one
 * at the edges wk deploy talks to: it records the deployed manifest in its outputs (as the program
 * does) and refuses an up whose expected base is not what it holds.
 */
export async function deployFixture(manifest: Manifest, dirs: string[]) {
  const dir = await mkdtemp(join(tmpdir(), "wk-deploy-"));
  dirs.push(dir);
  await writeFile(join(dir, "manifest.json"), canonicalJson(manifest));
  const stateDir = join(dir, ".watchkeeper");
  const options: DeployProjectOptions = {
    projectDir: dir,
    stackName: "production",
    stateDir,
    planFile: null,
    planToken: null,
    baseManifest: null,
    allowDestroy: false,
    routingKeysOut: join(stateDir, "routing-keys.json"),
    yes: true,
    now: new Date("2026-11-21T00:00:00Z"),
    env: { PAGERDUTY_TOKEN: "pd-token-canary-77" },
  };
  const calls: DeployStackOptions[] = [];
  const out: string[] = [];
  const stack = { outputs: null as Record<string, unknown> | null };
  let compiled = 0;
  const deps: DeployDeps = {
    findPulumi: () => "/opt/pulumi/bin/pulumi",
    compile: async (d) => {
      compiled++;
      return compileFixture(d);
    },
    readDeployed: async () => deployedRecordFromOutputs(stack.outputs),
    deployStack: async (o): Promise<DeployResult> => {
      calls.push(o);
      const held = (stack.outputs?.["manifestHash"] as string | undefined) ?? null;
      if (held !== o.expectedBaseHash) throw new DeployFailure("config", `stack holds ${held}, expected ${o.expectedBaseHash}`, "plan again");
      o.onOutput("Updating (production)\n");
      stack.outputs = { manifestHash: o.manifest.hash, deployedManifest: canonicalJson(o.manifest, 0) };
      return { routingKeys: { "payments-api": CANARY_KEY }, serviceIds: { "payments-api": "PSVC123" }, operations: { create: 10 } };
    },
    confirm: null,
    out: (t) => out.push(t),
    reportDiagnostics: () => {},
  };
  return {
    dir,
    stateDir,
    options,
    deps,
    calls,
    out,
    stack,
    compiled: () => compiled,
    /** Changes what the next compile of the project yields (a new commit checked out). */
    checkout: (m: Manifest) => writeFile(join(dir, "manifest.json"), canonicalJson(m)),
  };
}

export async function removeAll(dirs: string[]): Promise<void> {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
}
