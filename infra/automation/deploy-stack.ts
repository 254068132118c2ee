import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation/index.js";
import type { Manifest } from "../../sdk/manifest/schema.js";
import { declareOnCall } from "../program/oncall.js";
import { DeployFailure, engineMessage, redact, redactedOutput } from "./deploy-failure.js";
import { backendSecrets, backendUrl, PROJECT_NAME, shownBackend, workspaceOptions } from "./workspace.js";

export interface DeployStackOptions {
  manifest: Manifest;
  stackName: string;
  /** Folder for the default `file://` backend and the Automation API workspace. */
  stateDir: string;
  /** The environment to read settings from (PULUMI_*, PAGERDUTY_*). */
  env: NodeJS.ProcessEnv;
  /** The `pulumi` executable found on PATH or through WK_PULUMI_BIN. */
  pulumiBin: string;
  /**
   * Hash of the manifest the plan was made against (null: nothing deployed). The stack records the
   * hash it was last deployed from; a mismatch means the plan's base is not what is deployed.
   */
  expectedBaseHash: string | null;
  /** Progress lines from the engine, as they come. */
  onOutput: (text: string) => void;
}

export interface DeployResult {
  /** Events API v2 routing keys by service id. Secret: write to a 0600 file, never print. */
  routingKeys: Record<string, string>;
  /**
   * Routing keys this deploy replaced (the stack's value before `up`, where it changed), by service
   * id. Secret, like routingKeys: the runtime keeps them to resolve incidents opened with them.
   */
  replacedRoutingKeys?: Record<string, string>;
  /** PagerDuty service IDs by service id; not secret. */
  serviceIds: Record<string, string>;
  /** Resource operations the engine performed, e.g. `{ create: 3, same: 7 }`. */
  operations: Record<string, number>;
}

/**
 * Runs `pulumi up` on the manifest's resources through the Automation API (inline program).
 * Settings problems are found before the engine starts; engine errors are classified and redacted.
 */
export async function deployStack(options: DeployStackOptions): Promise<DeployResult> {
  const { env } = options;
  const backend = backendUrl(env, options.stateDir);
  const shown = shownBackend(backend);
  const selfManaged = !/^https?:\/\//.test(backend);
  if (selfManaged && !env["PULUMI_CONFIG_PASSPHRASE"] && !env["PULUMI_CONFIG_PASSPHRASE_FILE"]) {
    throw new DeployFailure(
      "config",
      `the Pulumi backend ${shown} encrypts stack secrets with a passphrase, and none is set`,
      "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and keep it: every later deploy needs the same one",
    );
  }

  const secrets = [env["PAGERDUTY_TOKEN"] ?? "", env["PULUMI_CONFIG_PASSPHRASE"] ?? "", ...backendSecrets(backend)].filter(Boolean);
  let stack: Stack;
  try {
    stack = await LocalWorkspace.createOrSelectStack(
      { stackName: options.stackName, projectName: PROJECT_NAME, program: async () => declareOnCall(options.manifest).outputs },
      await workspaceOptions(options.stateDir, env, options.pulumiBin),
    );
  } catch (error) {
    throw new DeployFailure("config", `cannot open stack ${options.stackName} on ${shown}: ${redact(engineMessage(error), secrets)}`, "check PULUMI_BACKEND_URL, the passphrase and the stack name (--stack)");
  }

  const outputsBefore = await stack.outputs();
  const deployedHash = (outputsBefore["manifestHash"]?.value as string | undefined) ?? null;
  const keysBefore = (outputsBefore["routingKeys"]?.value ?? {}) as Record<string, string>;
  if (deployedHash !== options.expectedBaseHash) {
    throw new DeployFailure(
      "config",
      `stack ${options.stackName} was last deployed from manifest ${deployedHash ?? "(nothing)"}, but the plan's base is ${options.expectedBaseHash ?? "(nothing)"}`,
      "someone deployed meanwhile: plan again against what is deployed (wk plan --base-stack " + options.stackName + "), review it, and deploy that plan",
    );
  }
  const config = await stack.getAllConfig();
  if (!env["PAGERDUTY_TOKEN"] && !config["pagerduty:token"]) {
    throw new DeployFailure(
      "config",
      `no PagerDuty API token for stack ${options.stackName}`,
      "export PAGERDUTY_TOKEN, or store it encrypted in the stack: pulumi config set --secret pagerduty:token (in the Automation API workspace)",
    );
  }
  // Region and API URL are plain settings; taken from the environment so the repository never holds them.
  if (env["PAGERDUTY_SERVICE_REGION"]) await stack.setConfig("pagerduty:serviceRegion", { value: env["PAGERDUTY_SERVICE_REGION"] });
  if (env["PAGERDUTY_API_URL_OVERRIDE"]) await stack.setConfig("pagerduty:apiUrlOverride", { value: env["PAGERDUTY_API_URL_OVERRIDE"] });

  const output = redactedOutput(secrets, options.onOutput);
  try {
    const result = await stack.up({ onOutput: (text) => output.write(text), color: "never" }).finally(() => output.end());
    const routingKeys = (result.outputs["routingKeys"]?.value ?? {}) as Record<string, string>;
    const serviceIds = (result.outputs["serviceIds"]?.value ?? {}) as Record<string, string>;
    const operations = Object.fromEntries(Object.entries(result.summary.resourceChanges ?? {}).map(([op, n]) => [op, Number(n)]));
    const replacedRoutingKeys = Object.fromEntries(Object.entries(keysBefore).filter(([id, key]) => typeof key === "string" && routingKeys[id] !== undefined && routingKeys[id] !== key));
    return { routingKeys, replacedRoutingKeys, serviceIds, operations };
  } catch (error) {
    throw new DeployFailure(
      "engine",
      `pulumi up failed for stack ${options.stackName}: ${redact(engineMessage(error), secrets)}`,
      "fix the cause above and run wk deploy again; Pulumi's state records what was applied, so the rerun continues from there",
    );
  }
}

