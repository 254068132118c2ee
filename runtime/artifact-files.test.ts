import { constants as bufferConstants } from "node:buffer";
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { mkdtemp, readFile, rm, symlink, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manifestOf, monitorSpec, writeArtifact } from "../test/runtime/support/manifest.js";
import { ArtifactError, loadArtifact } from "./artifact.js";

const dirs: string[] = [];
const fifos: string[] = [];
afterAll(async () => {
  // A reader still waiting on a FIFO (the behaviour these tests guard against) is let go: a writer opens and closes it.
  for (const fifo of fifos) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader waits.
    }
  }
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function artifact(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wk-artifact-files-"));
  dirs.push(dir);
  await writeArtifact(dir, manifestOf([monitorSpec({ id: "site" })]));
  return dir;
}

async function replaceWithFifo(path: string): Promise<void> {
  await unlink(path);
  execFileSync("mkfifo", [path]);
  fifos.push(path);
}

describe("an artifact file that is not a regular file is refused at start, never waited on", () => {
  it("manifest.json as a FIFO: refused naming the file, instead of start-up waiting for a writer forever", async () => {
    const dir = await artifact();
    await replaceWithFifo(join(dir, "manifest.json"));
    await expect(loadArtifact(dir)).rejects.toThrow(new ArtifactError(`${join(dir, "manifest.json")} is a FIFO, not a file`));
  }, 3_000);

  it("monitors.mjs as a FIFO: refused naming the file", async () => {
    const dir = await artifact();
    await replaceWithFifo(join(dir, "monitors.mjs"));
    await expect(loadArtifact(dir)).rejects.toThrow(new ArtifactError(`${join(dir, "monitors.mjs")} is a FIFO, not a file`));
  }, 3_000);

  it("manifest.json as a link to a device: refused, instead of read until memory runs out", async () => {
    const dir = await artifact();
    await unlink(join(dir, "manifest.json"));
    await symlink("/dev/null", join(dir, "manifest.json"));
    await expect(loadArtifact(dir)).rejects.toThrow(new ArtifactError(`${join(dir, "manifest.json")} is a device, not a file`));
  });

  it("a link to a regular file loads (a ConfigMap mounts its files as links)", async () => {
    const dir = await artifact();
    const linked = await mkdtemp(join(tmpdir(), "wk-artifact-link-"));
    dirs.push(linked);
    await symlink(join(dir, "manifest.json"), join(linked, "manifest.json"));
    await symlink(join(dir, "monitors.mjs"), join(linked, "monitors.mjs"));
    const loaded = await loadArtifact(linked);
    expect(loaded.manifest.monitors.map((m) => m.id)).toEqual(["site"]);
  });
});

describe("a manifest.json too large to read is refused at start, naming it", () => {
  const MAX_MANIFEST_BYTES = bufferConstants.MAX_STRING_LENGTH;
  it("one byte past the longest string Node can hold: an ArtifactError with the file and its size, before anything is read", async () => {
    const dir = await artifact();
    const manifest = join(dir, "manifest.json");
    // Sparse: half a gigabyte on paper, nothing on disk.
    await truncate(manifest, MAX_MANIFEST_BYTES + 1);
    const started = performance.now();
    const refused = await loadArtifact(dir).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ArtifactError);
    expect((refused as Error).message).toContain(`${manifest} is ${MAX_MANIFEST_BYTES + 1} bytes (511 MiB)`);
    expect((refused as Error).message).toContain("compile the project again");
    // Refused from its size: reading and decoding it takes seconds and half a gigabyte.
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("a manifest.json re-saved in another encoding", () => {
  it("one that starts with a UTF-8 byte order mark (re-saved on Windows) loads as written", async () => {
    const dir = await artifact();
    const manifest = join(dir, "manifest.json");
    await writeFile(manifest, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), await readFile(manifest)]));
    const loaded = await loadArtifact(dir);
    expect(loaded.manifest.monitors.map((m) => m.id)).toEqual(["site"]);
  });

  it("one saved as UTF-16 is refused, naming the file and the encoding to use", async () => {
    const dir = await artifact();
    const manifest = join(dir, "manifest.json");
    await writeFile(manifest, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(await readFile(manifest, "utf8"), "utf16le")]));
    await expect(loadArtifact(dir)).rejects.toThrow(
      new ArtifactError(`${manifest} is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8; \`wk compile\` writes it as UTF-8: deploy the file it wrote`),
    );
  });
});
