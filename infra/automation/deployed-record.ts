import { parseManifest, type Manifest } from "../../sdk/manifest/index.js";

/**
 * What a stack says is deployed, read from its outputs (`deployedManifest`, `manifestHash`).
 * - `none`: the stack does not exist or was never deployed;
 * - `manifest`: the deployed manifest, validated (schema, apiVersion, content hash);
 * - `hash-only`: deployed by a Watchkeeper that recorded only the hash; a manifest file with that
 *   hash can stand in for it (the plan's `--base-manifest`);
 * - `invalid`: the record cannot be trusted, with the reason.
 */
export type DeployedRecord =
  | { kind: "none" }
  | { kind: "manifest"; manifest: Manifest }
  | { kind: "hash-only"; hash: string }
  | { kind: "invalid"; reason: string };

/** Reads the deployed record from a stack's output values (plain values, secrets left out). */
export function deployedRecordFromOutputs(outputs: Record<string, unknown> | null | undefined): DeployedRecord {
  if (!outputs) return { kind: "none" };
  const hash = outputs["manifestHash"];
  const text = outputs["deployedManifest"];
  if (hash === undefined && text === undefined) return { kind: "none" };
  if (typeof hash !== "string") return { kind: "invalid", reason: "the stack output manifestHash is missing or not a string" };
  if (text === undefined) return { kind: "hash-only", hash };
  if (typeof text !== "string") return { kind: "invalid", reason: "the stack output deployedManifest is not a string" };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { kind: "invalid", reason: `the stack output deployedManifest is not JSON: ${(error as Error).message}` };
  }
  const parsed = parseManifest(json);
  if (!parsed.ok) return { kind: "invalid", reason: `the stack output deployedManifest: ${parsed.reason}` };
  if (parsed.manifest.hash !== hash) {
    return { kind: "invalid", reason: `the stack outputs disagree: deployedManifest has hash ${parsed.manifest.hash}, manifestHash says ${hash}` };
  }
  return { kind: "manifest", manifest: parsed.manifest };
}

/**
 * The root stack resource's outputs in an exported deployment (`pulumi stack export`, which
 * leaves secret outputs encrypted: reading what is deployed never decrypts a routing key).
 */
export function stackOutputsOfDeployment(deployment: unknown): Record<string, unknown> | null {
  const resources = (deployment as { resources?: unknown } | null)?.resources;
  if (!Array.isArray(resources)) return null;
  const root = resources.find((r) => (r as { type?: unknown } | null)?.type === "pulumi:pulumi:Stack") as { outputs?: unknown } | undefined;
  const outputs = root?.outputs;
  return outputs !== null && typeof outputs === "object" ? (outputs as Record<string, unknown>) : null;
}
