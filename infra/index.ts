import * as pulumi from "@pulumi/pulumi";
import { readManifestFile } from "./manifest-file.js";
import { declareOnCall } from "./program/oncall.js";

/**
 * Entry point for the Pulumi CLI (`pulumi preview` / `pulumi up` in infra/). The manifest path comes
 * from the `watchkeeper:manifest` config value; PagerDuty credentials come from `pagerduty:*` config
 * or PAGERDUTY_* environment variables, never from the repository.
 */
export default async function main(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("watchkeeper");
  const path = config.get("manifest") ?? "../dist/watchkeeper/manifest.json";
  const loaded = await readManifestFile(path);
  if (!loaded.ok) throw new pulumi.RunError(`${loaded.reason} (run \`wk compile\` first, or set watchkeeper:manifest)`);
  return declareOnCall(loaded.manifest).outputs;
}
