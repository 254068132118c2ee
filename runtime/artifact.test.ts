import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseManifest } from "../sdk/manifest/index.js";
import { manifestOf, monitorSpec, writeArtifact } from "../test/runtime/support/manifest.js";
import { loadArtifact } from "./artifact.js";

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function artifactOf(manifest: ReturnType<typeof manifestOf>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wk-artifact-"));
  dirs.push(dir);
  await writeArtifact(dir, manifest);
  return dir;
}

describe("loadArtifact's copy of the monitors", () => {
  const manifest = manifestOf([
    monitorSpec({ id: "a", labels: { team: "web" }, channels: ["ops"], summary: "{{name}} is down" }),
    monitorSpec({ id: "b", summary: "{{name}} is down" }),
  ]);

  it("equals what the schema's parse gives, key for key", async () => {
    const { manifest: loaded } = await loadArtifact(await artifactOf(manifest));
    const checked = parseManifest(JSON.parse(JSON.stringify(manifest)));
    if (!checked.ok) throw new Error(checked.reason);
    expect(loaded.monitors).toStrictEqual(checked.manifest.monitors);
    expect(loaded.hash).toBe(checked.manifest.hash);
  });

  it("shares one frozen empty array and one frozen empty object, so a change throws instead of reaching every monitor", async () => {
    const { manifest: loaded } = await loadArtifact(await artifactOf(manifest));
    const [a, b] = loaded.monitors;
    expect(a!.labels).toEqual({ team: "web" });
    expect(Object.isFrozen(a!.labels)).toBe(false);
    expect(b!.labels).toEqual({});
    expect(b!.inhibits).toBe(a!.inhibits);
    if (b!.check.kind !== "http") throw new Error("the fixture's check is HTTP");
    expect(b!.check.headers).toBe(b!.labels);
    expect(Object.isFrozen(b!.labels)).toBe(true);
    expect(Object.isFrozen(b!.channels)).toBe(true);
    expect(() => (b!.channels as string[]).push("ops")).toThrow(TypeError);
    expect(() => {
      (b!.labels as Record<string, string>).team = "web";
    }).toThrow(TypeError);
    expect(b!.channels).toEqual([]);
  });
});
