import { basename, dirname, join } from "node:path";
import type { LocalWorkspaceOptions } from "@pulumi/pulumi/automation/index.js";
import { makeFolders } from "../../sdk/make-folders.js";

export const PROJECT_NAME = "watchkeeper";

/** Where stacks are stored: PULUMI_BACKEND_URL, or a local `file://` backend under the state folder. */
export function backendUrl(env: NodeJS.ProcessEnv, stateDir: string): string {
  return env["PULUMI_BACKEND_URL"] || `file://${join(stateDir, "pulumi")}`;
}

/**
 * The Automation API workspace both the deploy and the reading of the deployed record use: the same
 * backend, the same project name and a workspace folder under the state folder.
 */
export async function workspaceOptions(stateDir: string, env: NodeJS.ProcessEnv, pulumiBin: string): Promise<LocalWorkspaceOptions> {
  const backend = backendUrl(env, stateDir);
  if (backend.startsWith("file://")) makeFolders(backend.slice("file://".length));
  const workDir = join(stateDir, "pulumi-workspace");
  makeFolders(workDir);
  // The Automation API runs ROOT/bin/pulumi; a CLI found elsewhere is taken from PATH as is.
  const binDir = dirname(pulumiBin);
  const root = basename(binDir) === "bin" ? dirname(binDir) : undefined;
  // Pulumi's Automation API (npm's arborist, pacote, a TypeScript 3.8) takes about 0.45 s to load:
  // only a command that drives a stack loads it, not every plan that imports backendUrl.
  const { PulumiCommand } = await import("@pulumi/pulumi/automation/index.js");
  const pulumiCommand = await PulumiCommand.get(root ? { root } : {});
  // The CLI inherits the process environment; the options' environment is passed on explicitly so a
  // caller's settings (tests, a wrapper) reach it too.
  const envVars: Record<string, string> = { PULUMI_BACKEND_URL: backend };
  for (const name of ["PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"]) if (env[name]) envVars[name] = env[name]!;
  return {
    workDir,
    pulumiCommand,
    envVars,
    projectSettings: { name: PROJECT_NAME, runtime: "nodejs", backend: { url: backend } },
  };
}
