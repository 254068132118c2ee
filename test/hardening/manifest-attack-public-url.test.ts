import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ArtifactError, loadArtifact } from "../../runtime/artifact.js";
import { parseManifest as parseAnyManifest, sealManifest, type Manifest } from "../../sdk/manifest/index.js";
import { tempProjects } from "../compiler/temp-project.js";
import { manifestOf, monitorSpec, writeArtifact } from "../runtime/support/manifest.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * Every notification's "Alert page" link, the postmortem's link, the runtime's own origin and the
 * PagerDuty webhook subscription are built from `publicUrl`: it is a plain http(s) address or
 * the project does not compile, and a hand-edited manifest does not start.
 */
const compile = tempProjects();
const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const project = (publicUrl: string) => ({
  "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({\n  name: "links",\n  publicUrl: ${JSON.stringify(publicUrl)},\n});\n`,
  "monitors/site.ts": `import { check, monitor } from "watchkeeper";\n\nexport const site = monitor({ id: "site", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/health" }) });\n`,
});

function withPublicUrl(publicUrl: string): Manifest {
  const base = manifestOf([monitorSpec({ id: "site" })]);
  const { hash: _old, ...rest } = base;
  // Re-sealed, as a careful hand edit would: only the schema stands in the way.
  return sealManifest({ ...rest, settings: { ...rest.settings, publicUrl } });
}

const REFUSED = [
  "javascript:alert(document.cookie)//",
  "data:text/html,<script>alert(1)</script>",
  "https://admin:hunter2@watchkeeper.example.com",
  "https://watchkeeper.example.com/?next=https://evil.example",
  "https://watchkeeper.example.com/#x",
  " https://watchkeeper.example.com",
  "https://watchkeeper.example.com/\n",
  "https:watchkeeper.example.com",
  "watchkeeper.example.com",
  "/watchkeeper",
  "",
];
const TOO_LONG = `https://watchkeeper.example.com/${"a".repeat(3000)}`;

describe("publicUrl", () => {
  it("refuses a javascript: publicUrl at compile time, naming watchkeeper.config.ts and the field, and writes nothing", async () => {
    const { result, wrote } = await compile(project("javascript:alert(document.cookie)//"));
    expect(result.ok).toBe(false);
    expect(wrote).toBe(false);
    const found = result.diagnostics.filter((d) => d.severity === "error");
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain("publicUrl in watchkeeper.config.ts");
    expect(found[0]!.message).toMatch(/scheme is javascript:/);
    expect(found[0]!.message).toContain("https://watchkeeper.example.com");
  }, 60_000);

  it("compiles an http(s) publicUrl with a port and a path, as behind a reverse proxy", async () => {
    const { result } = await compile(project("http://10.0.0.5:8080/watchkeeper/"));
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.manifest?.settings.publicUrl).toBe("http://10.0.0.5:8080/watchkeeper/");
  }, 60_000);

  it.each(REFUSED)("the manifest schema refuses the publicUrl %j", (publicUrl) => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(withPublicUrl(publicUrl))));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain("settings.publicUrl: publicUrl in watchkeeper.config.ts is not usable");
  });

  it("the manifest schema refuses a publicUrl over 2,048 characters", () => {
    const parsed = parseManifest(JSON.parse(JSON.stringify(withPublicUrl(TOO_LONG))));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain("longer than 2048 characters");
  });

  it.each(["https://watchkeeper.example.com", "https://watchkeeper.example.com/", "http://127.0.0.1:8080", "https://wk.example.com/team/watchkeeper"])(
    "the manifest schema accepts the publicUrl %j",
    (publicUrl) => {
      expect(parseManifest(JSON.parse(JSON.stringify(withPublicUrl(publicUrl)))).ok).toBe(true);
    },
  );

  it("a deployed manifest compiled before these limits is still read as a plan's or deploy's base, so the deploy that fixes it can run", () => {
    const { hash: _h, ...rest } = manifestOf([monitorSpec({ id: "site", labels: Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`l${i}`, "v"])) })]);
    const deployed = JSON.parse(JSON.stringify(sealManifest({ ...rest, settings: { ...rest.settings, publicUrl: "watchkeeper.example.com" } })));
    expect(parseAnyManifest(deployed).ok).toBe(true);
    expect(parseManifest(deployed).ok).toBe(false);
  });

  it("a runtime given a hand-edited manifest with a javascript: publicUrl refuses to start, saying which field", async () => {
    const dir = await mkdtemp(join(tmpdir(), "wk-public-url-"));
    dirs.push(dir);
    await writeArtifact(dir, withPublicUrl("javascript:alert(document.cookie)//"));
    const loading = loadArtifact(dir);
    await expect(loading).rejects.toBeInstanceOf(ArtifactError);
    await expect(loadArtifact(dir)).rejects.toThrow(/settings\.publicUrl: publicUrl in watchkeeper\.config\.ts is not usable: its scheme is javascript:/);
  });
});
