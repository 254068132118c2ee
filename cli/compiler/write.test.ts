import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { writeArtifact } from "./write.js";

let dir: string | null = null;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = null;
});
const files = { "manifest.json": "{}\n", "monitors.mjs": "export default {};\n" };

describe("writeArtifact", () => {
  it("writes a new folder, and replaces one it wrote before", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wk-write-"));
    const out = path.join(dir, "dist", "watchkeeper");
    await writeArtifact(out, files);
    await writeArtifact(out, { ...files, "manifest.json": "{\"v\":2}\n" });
    expect(await readFile(path.join(out, "manifest.json"), "utf8")).toBe("{\"v\":2}\n");
    expect((await readdir(path.dirname(out))).sort()).toEqual(["watchkeeper"]);
  });

  it("never replaces a folder that holds anything else, nor a file", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "wk-write-"));
    await mkdir(path.join(dir, "monitors"));
    await writeFile(path.join(dir, "monitors", "api.ts"), "export {};\n");
    await expect(writeArtifact(dir, files)).rejects.toBeInstanceOf(UserError);
    await expect(writeArtifact(path.join(dir, "monitors", "api.ts"), files)).rejects.toThrow(/is a file/);
    expect(await readFile(path.join(dir, "monitors", "api.ts"), "utf8")).toBe("export {};\n");
    expect((await readdir(dir)).sort()).toEqual(["monitors"]);
  });
});
