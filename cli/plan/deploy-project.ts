import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Manifest } from "../../sdk/manifest/schema.js";
import type { DeployResult, DeployStackOptions } from "../../infra/automation/deploy-stack.js";
import type { DeployedRecord } from "../../infra/automation/deployed-record.js";
import type { ReadDeployedOptions } from "../../infra/automation/read-deployed.js";
import { DeployFailure } from "../../infra/automation/deploy-failure.js";
import type { CompileResult } from "../compiler/types.js";
import { EXIT, type ExitStatus, UserError } from "../errors.js";
import { baseFromFile, type CompileFn } from "./base-source.js";
import { buildPlan } from "./build-plan.js";
import { deployedManifestPath, saveDeployedManifest, SERVICE_IDS_FILE, writeRoutingKeys, writeServiceIds } from "./deployed-files.js";
import { readPlanDocument, type PlanDocument } from "./plan-document.js";
import { summaryLines } from "./render-common.js";
import { refuseOtherTarget, refuseStaleBase } from "./reviewed-plan.js";
import { readStackRecord } from "./stack-record.js";
import type { WarningCode } from "./types.js";

export interface DeployProjectOptions {
  projectDir: string;
  stackName: string;
  stateDir: string;
  /** `--plan FILE`: the reviewed plan document; the deploy applies exactly it or refuses. */
  planFile: string | null;
  /** `--plan-token T` (kept for older pipelines): refuse unless base and target hash to it. */
  planToken: string | null;
  /** For a stack deployed by a Watchkeeper that recorded only the manifest's hash: that manifest. */
  baseManifest: string | null;
  allowDestroy: boolean;
  routingKeysOut: string;
  yes: boolean;
  now: Date;
  env: NodeJS.ProcessEnv;
}

/**
 * Plan warnings `wk deploy` refuses before the engine starts, whatever `--allow-destroy` says:
 * PagerDuty would refuse the change halfway through the up, or the deploy would delete what the
 * project means to keep. `lead` opens the refusal for `n` findings.
 */
const REFUSED_BEFORE_ENGINE: readonly { codes: readonly WarningCode[]; lead: (n: number) => string }[] = [
  { codes: ["maintenance-window-refused"], lead: (n) => `PagerDuty would refuse ${n === 1 ? "a maintenance window" : `${n} maintenance windows`} of this plan, halfway through the deploy` },
  { codes: ["user-already-in-pagerduty", "team-member-on-policy"], lead: (n) => `PagerDuty would refuse ${n === 1 ? "a change to a user" : `${n} changes to users`} of this plan, halfway through the deploy` },
  { codes: ["contact-method-readded"], lead: (n) => `the deploy would delete ${n === 1 ? "a contact method" : `${n} contact methods`} this plan re-adds under a new id` },
  { codes: ["recreated-under-new-id"], lead: (n) => `PagerDuty would refuse ${n === 1 ? "an object" : `${n} objects`} this plan creates under a new id, halfway through the deploy` },
  { codes: ["existing-user-deleted"], lead: (n) => `the deploy would delete ${n === 1 ? "a user" : `${n} users`} the project now marks existing` },
];

/** The edges `wk deploy` talks to, passed in so the flow reads (and tests) without them. */
export interface DeployDeps {
  findPulumi: (env: NodeJS.ProcessEnv) => string | null;
  compile: CompileFn;
  /** What the stack records as deployed (Automation API); read before anything is changed. */
  readDeployed: (options: ReadDeployedOptions) => Promise<DeployedRecord>;
  deployStack: (options: DeployStackOptions) => Promise<DeployResult>;
  /** Asks the operator; null when nobody can be asked (not a terminal). */
  confirm: ((question: string) => Promise<boolean>) | null;
  out: (text: string) => void;
  reportDiagnostics: (result: CompileResult) => void;
}

/**
 * Deploy: check the Pulumi CLI, read the reviewed plan, compile, read what the stack has deployed,
 * refuse a plan whose target is not this commit or whose base is not what is deployed (or a stale
 * token, or unapproved destruction), run Pulumi, then store routing keys (0600) and the deployed
 * manifest. Every refusal comes before the engine starts: nothing is changed.
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
  if (o.planFile !== null && o.planToken !== null) {
    throw new UserError("--plan and --plan-token both name the reviewed plan; give one", EXIT.usage, "--plan plan.json (the file wk plan --out wrote) checks everything the token does, and more");
  }
  const reviewed: PlanDocument | null = o.planFile !== null ? await readPlanDocument(o.planFile) : null;
  const head = await deps.compile(o.projectDir);
  if (!head.ok || !head.manifest) {
    deps.reportDiagnostics(head);
    return EXIT.findings;
  }
  if (reviewed) refuseOtherTarget(reviewed, o.planFile!, head.manifest.project.name, head.manifest.hash);
  const base = await deployedBase(o, deps, pulumiBin);
  if (reviewed) refuseStaleBase(reviewed, o.planFile!, o.stackName, base?.hash ?? null);
  const { plan } = await buildPlan({
    base,
    baseSource: base ? { kind: "stack", ref: o.stackName } : { kind: "empty", ref: null },
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
  for (const refusal of REFUSED_BEFORE_ENGINE) {
    const found = plan.warnings.filter((w) => refusal.codes.includes(w.code));
    if (found.length > 0) {
      throw new UserError(`${refusal.lead(found.length)}: ${found.map((w) => w.message).join("; ")}`, EXIT.findings, "change the project as each message says and plan again; nothing was deployed");
    }
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
  await writeRoutingKeys(o.routingKeysOut, result.routingKeys, result.replacedRoutingKeys);
  await writeServiceIds(join(o.stateDir, SERVICE_IDS_FILE), result.serviceIds);
  const saved = await saveDeployedManifest(o.stateDir, head.manifest);
  deps.out(
    `Deployed ${head.manifest.hash} to stack ${o.stackName}. Routing keys of ${Object.keys(result.routingKeys).length} service(s) written to ${o.routingKeysOut} (mode 0600), service IDs to ${join(o.stateDir, SERVICE_IDS_FILE)}; deployed manifest saved to ${saved}.\n`,
  );
  return EXIT.ok;
}

/**
 * The deployed manifest, as the stack records it. A stack deployed by a Watchkeeper that recorded
 * only the hash is completed from a manifest file with that hash (--base-manifest, else the one the
 * last deploy saved); anything else is refused before the engine starts.
 */
async function deployedBase(o: DeployProjectOptions, deps: DeployDeps, pulumiBin: string): Promise<Manifest | null> {
  const record = await readStackRecord(deps.readDeployed, { stackName: o.stackName, stateDir: o.stateDir, env: o.env, pulumiBin });
  switch (record.kind) {
    case "none":
      return null;
    case "manifest":
      return record.manifest;
    case "invalid":
      throw new UserError(`cannot tell what stack ${o.stackName} has deployed: ${record.reason}; nothing was deployed`, EXIT.findings, "inspect the stack (pulumi stack output) and redeploy from a known commit");
    case "hash-only": {
      const file = o.baseManifest !== null ? resolve(o.baseManifest) : deployedManifestPath(o.stateDir);
      const manifest = existsSync(file) ? await baseFromFile(file) : null;
      if (manifest?.hash === record.hash) return manifest;
      throw new UserError(
        `stack ${o.stackName} records only the hash of its deployed manifest (${record.hash}), and ${manifest ? `${file} has ${manifest.hash}` : `there is no ${file}`}; nothing was deployed`,
        EXIT.findings,
        "pass the deployed manifest with --base-manifest (the deployed-manifest.json an earlier wk deploy saved); this deploy then records the whole manifest in the stack",
      );
    }
  }
}
