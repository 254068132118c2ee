import path from "node:path";
import type { Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { normalizeModuleComments } from "../../cli/compiler/esbuild-options.js";

// esbuild marks each module of monitors.mjs with a `// path` line relative to the project; the
// paths that leave the project (the SDK of an installed CLI, a workspace package) are rewritten to
// names that are the same on every machine, so the bundle's bytes do not depend on where it was built.

const root = path.resolve("/work/pkg");
const projectDir = path.join(root, "..", "team", "project");
const sdk = { packageRoot: root, sdkDir: path.join(root, "build/sdk"), runtimeEntry: path.join(root, "build/sdk/index.js"), typesEntry: path.join(root, "build/sdk/index.d.ts") };
const rel = (file: string) => path.relative(projectDir, file).split(path.sep).join("/");
const sdkIndex = rel(path.join(root, "build/sdk/index.js"));
const sdkCheck = rel(path.join(root, "build/sdk/checks/http.js"));
const shared = rel(path.join(projectDir, "..", "shared", "lib.ts"));
const metafile = (inputs: string[]): Metafile => ({ inputs: Object.fromEntries(inputs.map((i) => [i, { bytes: 1, imports: [] }])), outputs: {} });

describe("monitors.mjs module comments", () => {
  it("names the SDK's files by the package and other outside files by their name, and leaves the project's own", () => {
    const text = [
      "// banner",
      `// ${sdkIndex}`,
      "var a = 1;",
      "",
      `// ${sdkCheck}`,
      `// ${shared}`,
      "var b = 2;",
      "",
      "// monitors/api.ts",
      `var c = "\\n// ${sdkIndex}\\n"; // ${sdkIndex}`,
      `// ${sdkIndex}`,
      "",
    ].join("\n");
    const out = normalizeModuleComments(text, metafile([sdkIndex, sdkCheck, shared, "monitors/api.ts"]), projectDir, sdk);
    expect(out).toBe(
      [
        "// banner",
        "// watchkeeper/build/sdk/index.js",
        "var a = 1;",
        "",
        "// watchkeeper/build/sdk/checks/http.js",
        "// external/lib.ts",
        "var b = 2;",
        "",
        "// monitors/api.ts",
        `var c = "\\n// ${sdkIndex}\\n"; // ${sdkIndex}`,
        "// watchkeeper/build/sdk/index.js",
        "",
      ].join("\n"),
    );
  });

  it("leaves a bundle with nothing from outside the project as it is", () => {
    const text = "// monitors/a.ts\nvar a = 1;\n";
    expect(normalizeModuleComments(text, metafile(["monitors/a.ts"]), projectDir, sdk)).toBe(text);
  });
});
