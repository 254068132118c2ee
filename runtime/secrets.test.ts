import { execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSecretSource, MAX_SECRET_FILE_BYTES } from "./secrets.js";

describe("secret files in WK_SECRETS_DIR", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "wk-secret-files-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const source = (declared: string[]) => createSecretSource({ declared, env: {}, dir, now: () => 0 });

  it("a FIFO named after a secret is reported at once, never waited on (a read would hold the event loop until something writes)", async () => {
    const fifo = join(dir, "ROUTING_KEY");
    execFileSync("mkfifo", [fifo]);
    // Something writes to it a second later: a blocking read would wait for it, then return its text.
    const writer = spawn("sh", ["-c", `sleep 1; echo late > "${fifo}"`], { stdio: "ignore" });
    try {
      const started = performance.now();
      const s = source(["ROUTING_KEY"]);
      expect(s.get("ROUTING_KEY")).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(500);
      expect(s.unusableFiles()).toEqual([{ name: "ROUTING_KEY", path: fifo, reason: "is a FIFO, not a file" }]);
      expect(s.missing()).toEqual(["ROUTING_KEY"]);
    } finally {
      writer.kill("SIGKILL");
    }
  });

  it("a link to a device, a folder, or a file over the size limit is reported by name and never read whole", async () => {
    await symlink("/dev/zero", join(dir, "ZERO"));
    await mkdir(join(dir, "FOLDER"));
    await writeFile(join(dir, "HUGE"), "x".repeat(MAX_SECRET_FILE_BYTES + 1));
    const s = source(["ZERO", "FOLDER", "HUGE"]);
    expect(s.unusableFiles()).toEqual([
      { name: "ZERO", path: join(dir, "ZERO"), reason: "is a device, not a file" },
      { name: "FOLDER", path: join(dir, "FOLDER"), reason: "is a folder, not a file" },
      { name: "HUGE", path: join(dir, "HUGE"), reason: `is larger than ${MAX_SECRET_FILE_BYTES} bytes, too large for a secret` },
    ]);
    expect(s.get("ZERO")).toBeUndefined();
    expect(s.values()).toEqual([]);
  });

  it("reads a link to a regular file (Kubernetes mounts secrets so), without its one trailing newline, CRLF included", async () => {
    await mkdir(join(dir, "..data"));
    await writeFile(join(dir, "..data", "API_KEY"), "key-123\r\n");
    await symlink(join("..data", "API_KEY"), join(dir, "API_KEY"));
    await writeFile(join(dir, "AT_LIMIT"), "y".repeat(MAX_SECRET_FILE_BYTES));
    const s = source(["API_KEY", "AT_LIMIT", "NOT_MOUNTED"]);
    expect(s.get("API_KEY")).toBe("key-123");
    expect(s.get("AT_LIMIT")).toHaveLength(MAX_SECRET_FILE_BYTES);
    expect(s.unusableFiles()).toEqual([]);
    expect(s.missing()).toEqual(["NOT_MOUNTED"]);
  });

  it("reads a file a Windows editor saved without its byte order mark, so the secret is what the user typed", async () => {
    await writeFile(join(dir, "API_KEY"), "\uFEFFkey-123\r\n");
    await writeFile(join(dir, "ONLY_BOM"), "\uFEFF\n");
    const s = source(["API_KEY", "ONLY_BOM"]);
    expect(s.get("API_KEY")).toBe("key-123");
    expect(s.values()).toEqual(["key-123"]);
    // A mark and a newline and nothing else is a secret not set, as an empty file is.
    expect(s.missing()).toEqual(["ONLY_BOM"]);
  });

  it("a file saved as UTF-16 (Windows PowerShell's `>`) or not UTF-8 is reported, saying how to save it, never quoting it, and counts as not set", async () => {
    await writeFile(join(dir, "UTF16"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("token-utf16-secret\r\n", "utf16le")]));
    await writeFile(join(dir, "LATIN1"), Buffer.from("p\u00e4ssword-latin1", "latin1"));
    const s = source(["UTF16", "LATIN1"]);
    expect(s.unusableFiles()).toEqual([
      { name: "UTF16", path: join(dir, "UTF16"), reason: "is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8" },
      { name: "LATIN1", path: join(dir, "LATIN1"), reason: "is not UTF-8 text; save it as UTF-8" },
    ]);
    expect(s.get("UTF16")).toBeUndefined();
    expect(s.values()).toEqual([]);
    expect(s.missing()).toEqual(["UTF16", "LATIN1"]);
  });

  it("takes a variable without its one trailing line break, as a file (a value pasted with its newline)", () => {
    const source = createSecretSource({ declared: ["A", "B", "C"], env: { A: "token-a\n", B: "token-b\r\n", C: "\n" }, now: () => 0 });
    expect(source.get("A")).toBe("token-a");
    expect(source.get("B")).toBe("token-b");
    // Nothing but a line break is not set.
    expect(source.get("C")).toBeUndefined();
    expect(source.missing()).toEqual(["C"]);
  });

  it("counts a value of nothing but spaces, tabs and line breaks as not set, from a variable or a file (a template that rendered nothing)", async () => {
    await writeFile(join(dir, "FROM_FILE"), "  \n\n");
    const s = createSecretSource({ declared: ["SPACES", "BREAKS", "FROM_FILE", "REAL"], env: { SPACES: "   ", BREAKS: "\t\n\n", REAL: " pass word " }, dir, now: () => 0 });
    expect(s.get("SPACES")).toBeUndefined();
    expect(s.get("BREAKS")).toBeUndefined();
    expect(s.get("FROM_FILE")).toBeUndefined();
    expect(s.missing()).toEqual(["SPACES", "BREAKS", "FROM_FILE"]);
    // Text with spaces around it is a value (the runtime warns about it at start-up).
    expect(s.get("REAL")).toBe(" pass word ");
  });

  it("checks the runtime's own secrets' files too (the API token), declared or not", async () => {
    await mkdir(join(dir, "WATCHKEEPER_API_TOKEN"));
    expect(source([]).unusableFiles()).toEqual([{ name: "WATCHKEEPER_API_TOKEN", path: join(dir, "WATCHKEEPER_API_TOKEN"), reason: "is a folder, not a file" }]);
  });

  it("never reads `.`, `..` or a dot name as a secret file, and a set variable wins over a bad file", async () => {
    await mkdir(join(dir, "TOKEN"));
    const s = createSecretSource({ declared: [".", "..", "..data", "TOKEN"], env: { TOKEN: "from-env" }, dir, now: () => 0 });
    expect(s.unusableFiles()).toEqual([]);
    expect(s.get("TOKEN")).toBe("from-env");
    expect(s.missing()).toEqual([".", "..", "..data"]);
  });
});
