import { describe, expect, it } from "vitest";
import { canonicalJson, parseManifest as parseAnyManifest } from "../../sdk/manifest/index.js";
import { tempProjects } from "../compiler/temp-project.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";

/** As the runtime parses an artifact before it starts: with the schema's limits. */
const parseManifest = (json: unknown) => parseAnyManifest(json, { limits: true });

/**
 * A label or header named `__proto__` compiled with "No problems found", and then the runtime
 * refused the artifact it was given: the schema's parse dropped the entry, so the content hash no
 * longer matched and the message blamed a hand edit. It is refused at the definition instead.
 */
const compile = tempProjects();

describe("__proto__ as a label or header name", () => {
  it("is refused at the key's line and column, and nothing is written", async () => {
    const { result, wrote } = await compile({
      "watchkeeper.config.ts": `import { config } from "watchkeeper";\n\nexport default config({ name: "proto" });\n`,
      "monitors/proto.ts": `import { check, monitor } from "watchkeeper";

export const proto = monitor({ id: "proto", schedule: { every: "1m" }, check: check.http({ url: "http://10.0.0.1/", headers: { ["__proto__"]: "x" } }), labels: { ["__proto__"]: "polluted", team: "web" } });
`,
    });
    expect(wrote).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(errors.map((d) => d.message).sort()).toEqual([
      'monitor "proto" check.headers.__proto__: __proto__ cannot be a name here; choose another',
      'monitor "proto" labels.__proto__: __proto__ cannot be a name here; choose another',
    ]);
    for (const d of errors) expect(d).toMatchObject({ file: "monitors/proto.ts", line: 3 });
    // At the key itself: the schema error's place is found without reading the name as a lookup.
    expect(errors.map((d) => d.column).sort((a, b) => a! - b!)).toEqual([128, 163]);
  }, 60_000);

  it("in a manifest's JSON, is refused by name, not as a hand edit", () => {
    // canonicalJson writes an own "__proto__" key as data, as the compiler did.
    const labels = JSON.parse('{"__proto__": "polluted", "team": "web"}') as Record<string, string>;
    const text = canonicalJson(manifestOf([monitorSpec({ id: "site", labels })]));
    expect(text).toContain('"__proto__": "polluted"');
    const parsed = parseManifest(JSON.parse(text));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.reason).toContain("monitors.0.labels.__proto__: __proto__ cannot be a name here");
      expect(parsed.reason).not.toContain("edited by hand");
    }
  });
});
