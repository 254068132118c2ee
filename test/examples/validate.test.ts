import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileProject, formatDiagnostics, type CompileResult } from "../../cli/compiler/index.js";

// The repository's own project and the `wk init` template must stay clean: not one error,
// warning or notice, so a new finding in either is a deliberate choice, never noise.
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
// A Monday morning: the coverage rule looks four weeks ahead from here.
const NOW = new Date("2026-11-23T08:00:00Z");

async function compile(projectDir: string): Promise<CompileResult> {
  return compileProject({ projectDir, write: false, now: NOW });
}

describe("wk validate on this repository's own projects", () => {
  it("the root project (monitors/, policies/) compiles with no diagnostics at all", async () => {
    const result = await compile(ROOT);
    expect(formatDiagnostics(result.diagnostics, { color: false }), "diagnostics").toMatch(/^no problems found\s*$/);
    expect(result.ok).toBe(true);
    expect(result.manifest?.monitors.map((m) => m.id)).toEqual([
      "checkout-cpu-saturation",
      "checkout-error-rate",
      "checkout-latency-p99",
      "checkout-memory-saturation",
      "website-api-health",
      "website-dns-nameservers",
      "website-emergency",
      "website-home",
      "website-login",
      "website-site-down",
      "website-uptime-service",
      "workflow-failed-runs",
    ]);
    // The functions monitors carry are in the bundle, exported by monitor id.
    for (const id of ["checkout-error-rate", "checkout-latency-p99", "website-site-down"]) expect(result.bundle).toContain(`"${id}"`);
    expect(result.manifest?.monitors.find((m) => m.id === "checkout-error-rate")?.source).toMatch(/^monitors\/checkout\/error-rate\.ts:\d+/);
  });

  it("the `wk init` template compiles with no diagnostics at all", async () => {
    const result = await compile(path.join(ROOT, "templates/init"));
    expect(formatDiagnostics(result.diagnostics, { color: false }), "diagnostics").toMatch(/^no problems found\s*$/);
    expect(result.manifest?.monitors.map((m) => m.id)).toEqual(["home-page", "nightly-backup"]);
  });
});
