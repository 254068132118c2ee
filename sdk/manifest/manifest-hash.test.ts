import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manifestOf, monitorSpec } from "../../test/runtime/support/manifest.js";
import { canonicalJson, manifestHash, parseManifest, type Manifest } from "./index.js";

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

  it("orders integer-like keys as the canonical JSON does, and keeps a __proto__ key, at every depth", () => {
    const keyed = JSON.parse('{"10":1,"9":2,"":3,"a":4,"007":5,"__proto__":6}') as Record<string, number>;
    const monitors = [{ ...monitorSpec({ id: "a" }), labels: keyed }];
    const manifest = { ...manifestOf(monitors as never), top: keyed } as unknown as Manifest;
    expect(canonicalJson(keyed, 0)).toBe('{"9":2,"10":1,"":3,"007":5,"__proto__":6,"a":4}');
    expect(manifestHash(manifest)).toBe(hashAsOneString(manifest));
  });

  it("is the canonical JSON's hash for any JSON an entry holds, at any depth", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 4 }), fc.jsonValue(), (values, top) => {
        const monitors = values.map((v, i) => ({ ...monitorSpec({ id: `m-${i}` }), extra: v }));
        const manifest = { ...manifestOf(monitors as never), top } as unknown as Manifest;
        expect(manifestHash(manifest)).toBe(hashAsOneString(manifest));
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseManifest's refusal of another apiVersion", () => {
  it("never quotes a long or structured apiVersion whole (a file's content)", () => {
    const long = parseManifest({ apiVersion: "root:x:0:0:root:/root:/bin/bash\n".repeat(1000) });
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.reason.length).toBeLessThan(400);
    const object = parseManifest({ apiVersion: { secret: "s3cr3t-value" } });
    expect(object.ok).toBe(false);
    if (!object.ok) expect(object.reason).not.toContain("s3cr3t-value");
  });
});
