import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/**
 * Finds the `pulumi` executable: WK_PULUMI_BIN when set, else the first `pulumi` on PATH. The
 * Automation API drives this CLI; without it nothing can be deployed.
 */
export function findPulumiCli(env: NodeJS.ProcessEnv): string | null {
  const override = env["WK_PULUMI_BIN"];
  if (override) return isExecutable(override) ? override : null;
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "pulumi");
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
