import { describe, expect, it } from "vitest";
import { check, collectConstructs, config, monitor, statusPage, synthesize } from "../../sdk/index.js";
import { parseManifest, sealManifest } from "../../sdk/manifest/index.js";
import { parseSource } from "../../cli/compiler/diagnostic.js";
import { statusPages } from "../../cli/rules/status-pages.js";
import type { RuleContext } from "../../cli/rules/types.js";

const api = monitor({ id: "checkout-api", name: "Checkout API", schedule: { every: "1m" }, check: check.http({ url: "https://shop.example.com/api" }) });
const web = monitor({ id: "website", schedule: { every: "1m" }, check: check.http({ url: "https://shop.example.com/" }) });

function build(roots: unknown[]) {
  const constructs = collectConstructs(roots);
  return synthesize({ config: config({ name: "acme", statusPage: { title: "Acme" } }), constructs, sourceOf: (c) => `monitors/${c.id}.ts:3` });
}

function findings(manifest: ReturnType<typeof build>) {
  const ctx: RuleContext = { manifest, config: config({ name: "acme" }), sources: new Map(), now: new Date(), locate: (e) => parseSource(e.source) };
  return statusPages(ctx);
}

describe("statusPage()", () => {
  it("synthesizes into the manifest's statusPages with monitor ids, and parses back", () => {
    const manifest = build([statusPage({ id: "public", groups: [{ name: "Checkout", monitors: [api] }, { name: "Website", monitors: [web] }] })]);
    expect(manifest.statusPages).toEqual([
      { id: "public", title: "Acme", description: null, groups: [{ name: "Checkout", monitors: ["checkout-api"] }, { name: "Website", monitors: ["website"] }], source: "monitors/public.ts:3" },
    ]);
    // The monitors a page names are part of the project even when only the page is exported.
    expect(manifest.monitors.map((m) => m.id)).toEqual(["checkout-api", "website"]);
    expect(parseManifest(JSON.parse(JSON.stringify(sealManifest(manifest)))).ok).toBe(true);
    expect(findings(manifest)).toEqual([]);
  });

  it("is absent from a project without status pages, so older manifests keep their hash", () => {
    const manifest = build([api]);
    expect("statusPages" in manifest).toBe(false);
  });

  it("reports a monitor the project does not define at the page's file:line", () => {
    const manifest = build([api, statusPage({ id: "public", groups: [{ name: "Checkout", monitors: ["checkout" as unknown as typeof api] }, { name: "Empty", monitors: [] }] })]);
    const found = findings(manifest);
    expect(found.map((d) => [d.severity, d.message])).toEqual([
      ["error", 'status page "public": group "Checkout" names monitor "checkout", which the project does not define'],
      ["warning", 'status page "public": group "Empty" names no monitor'],
    ]);
    expect(found[0]!.file).toBe("monitors/public.ts");
    expect(found[0]!.line).toBe(3);
  });
});
