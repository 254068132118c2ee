import { realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { backendUrl } from "../../infra/automation/workspace.js";
import { EXIT, UserError } from "../errors.js";
import { git } from "./base-source.js";

/**
 * `--base-stack` compares the working tree with what the stack records as deployed. With a local
 * `file://` backend inside the project (the default is `.watchkeeper/pulumi`), that record is
 * files in the checkout: when git tracks any of them (or a link on the way to them), a pull
 * request can commit the "deployed" manifest its own plan is compared with, and make its changes
 * vanish from the plan. Such a backend is refused. State the user's own deploys left there,
 * untracked, is theirs and is read as before; so is a backend outside the project.
 */
export async function refuseCommittedBackend(stackName: string, projectDir: string, stateDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const backend = backendUrl(env, stateDir);
  if (!backend.startsWith("file://")) return;
  const project = await realpath(projectDir).catch(() => resolve(projectDir));
  // A relative path: as wk's own folder sees it, or as the Pulumi CLI does from its workspace
  // folder (workspace.ts); either may be what is read.
  // Pulumi takes settings after `?` in a file URL (`?no_tmp_dir=true`): they are not the path.
  const written = backend.slice("file://".length).split("?")[0]!;
  const bases = isAbsolute(written) ? [""] : [process.cwd(), projectDir, join(stateDir, "pulumi-workspace")];
  for (const base of new Set(bases)) {
    const folder = await realOrAsWritten(resolve(base, written));
    const rel = relative(project, folder).split(sep).join("/");
    if (rel === ".." || rel.startsWith("../") || isAbsolute(rel)) continue;
    // A file backend keeps its stacks under `.pulumi/` in its folder. Links on the way are followed
    // first (realOrAsWritten): a committed link that leads the backend to committed files elsewhere
    // in the project is caught by what git tracks there.
    // Where git cannot answer (not a repository), nothing is tracked.
    const listed = await git(project, ["ls-files", "-z", "--", rel === "" ? ".pulumi" : `${rel}/.pulumi`]).catch(() => "");
    const found = listed.split("\0").filter((f) => f !== "");
    if (found.length === 0) continue;
    throw new UserError(
      `--base-stack ${stackName} would read what is deployed from ${backend}, inside the project, where git tracks ${found[0]}${found.length > 1 ? ` and ${found.length - 1} more` : ""}: a pull request could commit the record its own plan is compared with`,
      EXIT.findings,
      "keep Pulumi state out of the repository: set PULUMI_BACKEND_URL to the backend wk deploy uses (s3://, gs://, azblob://, https://api.pulumi.com), or compare with a git ref (--base main)",
    );
  }
}

/** The real path of a folder, or of the nearest folder above it that exists, with the rest appended. */
async function realOrAsWritten(path: string): Promise<string> {
  const real = await realpath(path).catch(() => null);
  if (real !== null) return real;
  const parent = dirname(path);
  return parent === path ? path : resolve(await realOrAsWritten(parent), relative(parent, path));
}
