import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { readManifestFile } from "../../infra/manifest-file.js";
import { canonicalJson } from "../../sdk/manifest/index.js";
import { sampleManifest } from "../infra/sample-manifest.js";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "wk-manifest-file-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function reason(path: string): Promise<string> {
  const loaded = await readManifestFile(path);
  expect(loaded.ok).toBe(false);
  return loaded.ok ? "" : loaded.reason;
}

describe("a base manifest file is read within limits and never echoed", () => {
  test("a device such as /dev/zero is refused by its type, without reading it", async () => {
    const started = Date.now();
    const text = await reason("/dev/zero");
    expect(text).toContain("/dev/zero is a device, not a regular file");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test("a folder is refused as a folder", async () => {
    const dir = tempDir();
    expect(await reason(dir)).toContain(`${dir} is a folder, not a regular file`);
  });

  test("a FIFO with no writer neither hangs nor is read", async () => {
    const fifo = join(tempDir(), "manifest.json");
    execFileSync("mkfifo", [fifo]);
    expect(await reason(fifo)).toContain("is a named pipe (FIFO), not a regular file");
  });

  test("a text file that is not JSON is named, and none of its content is printed", async () => {
    const file = join(tempDir(), "passwd");
    writeFileSync(file, "root:x:0:0:root:/root:/bin/bash\nsecret-token-123\n");
    const text = await reason(file);
    expect(text).toContain(`${file} is not valid JSON`);
    expect(text).not.toContain("root:x");
    expect(text).not.toContain("secret-token");
  });

  test("/etc/passwd's first bytes are not in the reason", async () => {
    const text = await reason("/etc/passwd");
    expect(text).toContain("/etc/passwd is not valid JSON");
    expect(text).not.toMatch(/root|:x:/);
  });

  test("a JSON file that is not a manifest does not have its values quoted", async () => {
    const file = join(tempDir(), "config.json");
    writeFileSync(file, JSON.stringify({ apiVersion: "token ghp_abcdefghijklmnop secret value" }));
    const text = await reason(file);
    expect(text).toContain("is not a compiled manifest");
    expect(text).not.toContain("ghp_");
    writeFileSync(file, JSON.stringify(["hunter2"]));
    expect(await reason(file)).not.toContain("hunter2");
  });

  test("a compiled manifest still loads", async () => {
    const file = join(tempDir(), "manifest.json");
    writeFileSync(file, canonicalJson(sampleManifest()));
    const loaded = await readManifestFile(file);
    expect(loaded.ok).toBe(true);
  });

  test("a manifest re-saved with a UTF-8 byte order mark loads as the runtime loads it", async () => {
    const file = join(tempDir(), "manifest.json");
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(canonicalJson(sampleManifest()))]));
    const loaded = await readManifestFile(file);
    expect(loaded.ok ? "loaded" : loaded.reason).toBe("loaded");
  });

  test("a manifest saved as UTF-16, or holding bytes that are not UTF-8, is refused saying so, naming the file and the fix", async () => {
    const dir = tempDir();
    const utf16 = join(dir, "utf16.json");
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(canonicalJson(sampleManifest()), "utf16le")]));
    expect(await reason(utf16)).toBe(`${utf16} is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8: pass the manifest.json that \`wk compile\` writes, as it wrote it`);
    const latin1 = join(dir, "latin1.json");
    const manifest = sampleManifest();
    manifest.monitors[0]!.name = "Caf\u00e9 checkout";
    writeFileSync(latin1, Buffer.from(canonicalJson(manifest), "latin1"));
    const why = await reason(latin1);
    expect(why).toContain(`${latin1} is not UTF-8 text; save it as UTF-8`);
    expect(why).not.toContain("Caf");
  });
});
