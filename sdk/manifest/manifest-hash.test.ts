import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { manifestOf, monitorSpec } from "../../test/runtime/support/manifest.js";
import { canonicalJson, manifestHash, type Manifest } from "./index.js";

// The hash every earlier build wrote: sha256 over the canonical JSON as one string.
function hashAsOneString(manifest: Manifest): string {
  const { hash: _ignored, ...rest } = manifest;
  return "sha256:" + createHash("sha256").update(canonicalJson(rest, 0)).digest("hex");
}

describe("manifest hash", () => {
  it("is the same hash earlier builds wrote, so their artifacts still load", () => {
    const monitors = Array.from({ length: 300 }, (_, i) =>
      monitorSpec({ id: `m-${i}`, name: `Mönitor ${i} \u2028 "quoted" 😀`, labels: { team: `t${i % 7}`, zone: "eu" }, description: i % 2 ? null : "x".repeat(i) }),
    );
    const manifest = manifestOf(monitors, ["API_TOKEN"]);
    expect(manifestHash(manifest)).toBe(hashAsOneString(manifest));
  });

  it("treats what JSON cannot hold as JSON.stringify does: dropped in objects, null in arrays", () => {
    const odd = { ...manifestOf([monitorSpec({ id: "a" })]), extra: { gone: undefined, fn: () => 1, list: [1, undefined, () => 2, -0, 1e21] } } as unknown as Manifest;
    expect(manifestHash(odd)).toBe(hashAsOneString(odd));
  });
});
