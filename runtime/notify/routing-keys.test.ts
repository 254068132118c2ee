import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyFile, MAX_KEY_FILE_BYTES, RoutingKeyHistory } from "./routing-keys.js";

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});
const folder = () => (dir = mkdtempSync(join(tmpdir(), "wk-keyfile-")));

describe("the routing keys file", () => {
  it("reads the keys a deploy wrote", () => {
    const file = join(folder(), "routing-keys.json");
    writeFileSync(file, JSON.stringify({ payments: "R0UTINGKEY" }));
    expect(new KeyFile(file).get("payments")).toBe("R0UTINGKEY");
  });

  it("keeps the keys a rotation replaced, per service, and lists them for redaction", () => {
    const file = join(folder(), "routing-keys.json");
    writeFileSync(file, JSON.stringify({ payments: "NEWKEY", $previous: { payments: ["OLDKEY", 7, ""], orders: "not a list" } }));
    const keys = new KeyFile(file);
    expect(keys.get("payments")).toBe("NEWKEY");
    expect(keys.get("$previous")).toBeUndefined();
    expect(keys.previous("payments")).toEqual(["OLDKEY"]);
    expect(keys.previous("orders")).toEqual([]);
    expect(keys.all().sort()).toEqual(["NEWKEY", "OLDKEY"]);
  });

  it("the runtime remembers every key it sent with, newest first, a few per source", () => {
    const history = new RoutingKeyHistory(3);
    expect(history.current("service:payments", "A")).toEqual([]);
    expect(history.current("service:payments", "A")).toEqual([]);
    expect(history.current("service:payments", "B")).toEqual(["A"]);
    expect(history.current("service:payments", "C")).toEqual(["B", "A"]);
    expect(history.current("service:payments", "D")).toEqual(["C", "B"]);
    expect(history.current("secret:PD_KEY", "S")).toEqual([]);
    expect(history.all().sort()).toEqual(["B", "C", "D", "S"]);
  });

  it("a FIFO in its place reads as empty at once instead of holding the event loop", () => {
    const file = join(folder(), "routing-keys.json");
    execFileSync("mkfifo", [file]);
    const started = Date.now();
    expect(new KeyFile(file).all()).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("a folder, or a file past the limit, reads as empty", () => {
    const base = folder();
    expect(new KeyFile(base).all()).toEqual([]);
    const file = join(base, "routing-keys.json");
    writeFileSync(file, "");
    truncateSync(file, MAX_KEY_FILE_BYTES + 1);
    expect(new KeyFile(file).all()).toEqual([]);
  });
});
