import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Manifest } from "../../sdk/manifest/schema.js";
import type { DeployResult, DeployStackOptions } from "../../infra/automation/deploy-stack.js";
import { DeployFailure } from "../../infra/automation/deploy-failure.js";
import type { CompileResult } from "../compiler/types.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { baseFromFile, type CompileFn } from "./base-source.js";
import { buildPlan } from "./build-plan.js";
import { deployedManifestPath, saveDeployedManifest, SERVICE_IDS_FILE, writeRoutingKeys, writeServiceIds } from "./deployed-files.js";
import { summaryLines } from "./render-common.js";

export interface DeployProjectOptions {
  projectDir: string;
  stackName: string;
  stateDir: string;
  planToken: string | null;
  baseManifest: string | null;
  allowDestroy: boolean;
  routingKeysOut: string;
  yes: boolean;
  now: Date;
  env: NodeJS.ProcessEnv;
}

/** The edges `wk deploy` talks to, passed in so the flow reads (and tests) without them. */
export interface DeployDeps {
  findPulumi: (env: NodeJS.ProcessEnv) => string | null;
  compile: CompileFn;
  deployStack: (options: DeployStackOptions) => Promise<DeployResult>;
  /** Asks the operator; null when nobody can be asked (not a terminal). */
  confirm: ((question: string) => Promise<boolean>) | null;
  out: (text: string) => void;
  reportDiagnostics: (result: CompileResult) => void;
}

/**
 * Deploy: check the Pulumi CLI, compile, re-plan against the deployed base, refuse a stale token or
 * unapproved destruction, run Pulumi, then store routing keys (0600) and the deployed manifest.
 */
export async function deployProject(o: DeployProjectOptions, deps: DeployDeps): Promise<ExitStatus> {
  const pulumiBin = deps.findPulumi(o.env);
  if (pulumiBin === null) {
    throw new UserError(
      "the pulumi CLI is not on PATH; wk deploy drives Pulumi through its Automation API and needs it",
      EXIT.findings,
      "install the Pulumi CLI (https://www.pulumi.com/docs/install/, e.g. `curl -fsSL https://get.pulumi.com | sh`), or point WK_PULUMI_BIN at it; nothing was changed",
    );
  }
  const head = await deps.compile(o.projectDir);
  if (!head.ok || !head.manifest) {
    deps.reportDiagnostics(head);
    return EXIT.findings;
  }
  const base = await deployedBase(o);
  const { plan } = await buildPlan({
    base,
    baseSource: base ? { kind: "file", ref: o.baseManifest ?? deployedManifestPath(o.stateDir) } : { kind: "empty", ref: null },
    target: head.manifest,
    now: o.now,
  });
  if (o.planToken !== null && o.planToken !== plan.planToken) {
    throw new UserError(
      `the plan is stale: token ${o.planToken} was made against other manifests (now ${plan.planToken})`,
      EXIT.findings,
      "the deployed state or the project changed since that plan; run wk plan again, review it, and deploy with its token",
    );
  }
  const destructive = plan.resources.filter((r) => r.action === "delete" || r.action === "replace");
  if (destructive.length > 0 && !o.allowDestroy) {
    throw new UserError(
      `the plan deletes or replaces ${destructive.length} PagerDuty resource(s): ${destructive.map((r) => `${r.name} (${r.action})`).join(", ")}`,
      EXIT.findings,
      "review the plan; if this is intended, deploy again with --allow-destroy",
    );
  }
  deps.out(summaryLines(plan).join("\n") + "\n");
  for (const w of plan.warnings) deps.out(`warning: ${w.message}\n`);
  if (!o.yes) {
    if (!deps.confirm) throw new UserError("wk deploy needs confirmation and there is no terminal to ask", EXIT.findings, "pass --yes (CI does, after reviewing the plan)");
    if (!(await deps.confirm(`Deploy to stack ${o.stackName}?`))) {
      deps.out("Nothing deployed.\n");
      return EXIT.findings;
    }
  }
  let result: DeployResult;
  try {
    result = await deps.deployStack({
      manifest: head.manifest,
      stackName: o.stackName,
      stateDir: o.stateDir,
      env: o.env,
      pulumiBin,
      expectedBaseHash: base?.hash ?? null,
      onOutput: (text) => deps.out(text),
    });
  } catch (error) {
    if (error instanceof DeployFailure) throw new UserError(error.message, EXIT.findings, error.hint);
    throw error;
  }
  await writeRoutingKeys(o.routingKeysOut, result.routingKeys);
  await writeServiceIds(join(o.stateDir, SERVICE_IDS_FILE), result.serviceIds);
  const saved = await saveDeployedManifest(o.stateDir, head.manifest);
  deps.out(
    `Deployed ${head.manifest.hash} to stack ${o.stackName}. Routing keys of ${Object.keys(result.routingKeys).length} service(s) written to ${o.routingKeysOut} (mode 0600), service IDs to ${join(o.stateDir, SERVICE_IDS_FILE)}; deployed manifest saved to ${saved}.\n`,
  );
  return EXIT.ok;
}

async function deployedBase(o: DeployProjectOptions): Promise<Manifest | null> {
  if (o.baseManifest !== null) return baseFromFile(resolve(o.baseManifest));
  const saved = deployedManifestPath(o.stateDir);
  return existsSync(saved) ? baseFromFile(saved) : null;
}
