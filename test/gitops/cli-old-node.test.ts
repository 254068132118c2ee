import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../compiler/support.js";

/** Runs the CLI as if on another Node version (process.versions.node replaced before it loads). */
function onNode(version: string, args: string[]) {
  const pretend = `data:text/javascript,Object.defineProperty(process, "versions", { value: { ...process.versions, node: ${JSON.stringify(version)} } })`;
  return spawnSync(process.execPath, ["--import", pretend, path.join(ROOT, "bin", "watchkeeper.js"), ...args], { encoding: "utf8" });
}

describe("a Node.js older than the package's engines", () => {
  it("is one error line with a hint and exit 1, not an internal error or a module blamed", () => {
    for (const version of ["18.20.8", "20.10.0", "20.18.3"]) {
      const ran = onNode(version, ["validate", "--project", ROOT]);
      expect(ran.status, ran.stderr).toBe(1);
      expect(ran.stderr).toBe(`watchkeeper: error: Node.js 20.19 or later is needed; this is Node ${version}\nhint: install the current LTS release of Node.js (https://nodejs.org), or run the watchkeeper image\n`);
    }
  });

  it("lets 20.19 and later through", () => {
    for (const version of ["20.19.0", "22.12.0", "26.1.0"]) expect(onNode(version, ["--version"]).status).toBe(0);
  });
});
