import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { DeployFailure, engineMessage, redact } from "./deploy-failure.js";
import { deployedRecordFromOutputs, stackOutputsOfDeployment, type DeployedRecord } from "./deployed-record.js";
import { backendSecrets, backendUrl, shownBackend, workspaceOptions } from "./workspace.js";

export interface ReadDeployedOptions {
  stackName: string;
  /** Folder of the default `file://` backend and the Automation API workspace. */
  stateDir: string;
  env: NodeJS.ProcessEnv;
  pulumiBin: string;
}

/**
 * Reads what a stack says is deployed, through the Automation API, without running the program or
 * touching PagerDuty. A stack that does not exist yet is `none` (nothing deployed); it is not created.
 */
export async function readDeployed(options: ReadDeployedOptions): Promise<DeployedRecord> {
  const backend = backendUrl(options.env, options.stateDir);
  const secrets = [options.env["PAGERDUTY_TOKEN"] ?? "", options.env["PULUMI_CONFIG_PASSPHRASE"] ?? "", ...backendSecrets(backend)].filter(Boolean);
  try {
    const workspace = await LocalWorkspace.create(await workspaceOptions(options.stateDir, options.env, options.pulumiBin));
    const stacks = await workspace.listStacks();
    if (!stacks.some((s) => s.name === options.stackName || s.name.endsWith(`/${options.stackName}`))) return { kind: "none" };
    const exported = await workspace.exportStack(options.stackName);
    return deployedRecordFromOutputs(stackOutputsOfDeployment(exported.deployment));
  } catch (error) {
    throw new DeployFailure(
      "config",
      `cannot read stack ${options.stackName} on ${shownBackend(backend)}: ${redact(engineMessage(error), secrets)}`,
      "check PULUMI_BACKEND_URL, the passphrase (PULUMI_CONFIG_PASSPHRASE) and the stack name",
    );
  }
}
