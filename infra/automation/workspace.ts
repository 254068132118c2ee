import { basename, dirname, join } from "node:path";
import type { LocalWorkspaceOptions } from "@pulumi/pulumi/automation/index.js";
import { makeFolders } from "../../sdk/make-folders.js";

export const PROJECT_NAME = "watchkeeper";

/** Where stacks are stored: PULUMI_BACKEND_URL, or a local `file://` backend under the state folder. */
export function backendUrl(env: NodeJS.ProcessEnv, stateDir: string): string {
  return env["PULUMI_BACKEND_URL"] || `file://${join(stateDir, "pulumi")}`;
}

/**
 * The backend URL as a message may show it: without the user and password that a PostgreSQL
 * backend's URL carries (`postgres://user:password@host/db`). Userinfo ends at the last `@` before
 * the query: a password may hold `@`, `/` or `#` unescaped. A `file://` backend holds a path, which
 * may hold an `@`, and never credentials.
 */
export function shownBackend(backend: string): string {
  const userinfo = backendUserinfo(backend);
  return userinfo === null ? backend : backend.slice(0, userinfo.start) + backend.slice(userinfo.end + 1);
}

/**
 * The password of the backend URL, as written and percent-decoded: the engine's own errors may
 * quote either, and both are redacted from what a deploy prints.
 */
export function backendSecrets(backend: string): string[] {
  const userinfo = backendUserinfo(backend);
  if (userinfo === null) return [];
  const text = backend.slice(userinfo.start, userinfo.end);
  const colon = text.indexOf(":");
  const password = colon === -1 ? "" : text.slice(colon + 1);
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // a malformed escape: the text as written is what could appear
  }
  return [...new Set([password, decoded])].filter((p) => p !== "");
}

/** Where the userinfo of a backend URL starts, and where its `@` is; null when it has none. */
function backendUserinfo(backend: string): { start: number; end: number } | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(backend)?.[0];
  if (scheme === undefined || scheme.toLowerCase() === "file://") return null;
  const query = backend.indexOf("?", scheme.length);
  const at = backend.lastIndexOf("@", query === -1 ? backend.length : query);
  return at < scheme.length ? null : { start: scheme.length, end: at };
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
    // The project settings are written to the workspace's Pulumi.yaml: a URL with a password stays
    // in the CLI's environment only (PULUMI_BACKEND_URL, which it reads before the project's).
    projectSettings: { name: PROJECT_NAME, runtime: "nodejs", ...(backendUserinfo(backend) === null ? { backend: { url: backend } } : {}) },
  };
}
