import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeyFile, MAX_KEY_FILE_BYTES, RoutingKeyHistory, routingKeysVerdict } from "./routing-keys.js";

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

  it("reads a file a Windows editor saved with a byte order mark, the keys as written", () => {
    const file = join(folder(), "routing-keys.json");
    writeFileSync(file, `\uFEFF${JSON.stringify({ payments: "R0UTINGKEY" })}\r\n`);
    const keys = new KeyFile(file);
    expect(keys.read()).toEqual({ kind: "read", values: { payments: "R0UTINGKEY" }, previous: {} });
    expect(keys.get("payments")).toBe("R0UTINGKEY");
  });

  it("refuses a file saved as UTF-16 or not UTF-8, saying how to save it and never quoting the keys", () => {
    const base = folder();
    const utf16 = join(base, "utf16.json");
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify({ payments: "R0UTINGKEY" }), "utf16le")]));
    expect(new KeyFile(utf16).read()).toEqual({ kind: "unusable", reason: "is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8" });
    const latin1 = join(base, "latin1.json");
    writeFileSync(latin1, Buffer.from(JSON.stringify({ payments: "R0UTINGKEY\u00e9" }), "latin1"));
    expect(new KeyFile(latin1).read()).toEqual({ kind: "unusable", reason: "is not UTF-8 text; save it as UTF-8" });
  });

  it("a service named like an Object property (`constructor`) has a key only when the file holds one", () => {
    const base = folder();
    const file = join(base, "routing-keys.json");
    writeFileSync(file, JSON.stringify({ payments: "R0UTINGKEY" }));
    const keys = new KeyFile(file);
    expect(keys.get("constructor")).toBeUndefined();
    expect(keys.previous("constructor")).toEqual([]);
    expect(routingKeysVerdict(keys.read(), file, ["constructor"], false)?.message).toContain("has no key for service constructor");
    writeFileSync(file, '{ "constructor": "CONSTRUCTORKEY", "__proto__": "PROTOKEY" }');
    utimesSync(file, new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
    expect(keys.get("constructor")).toBe("CONSTRUCTORKEY");
    expect(keys.previous("constructor")).toEqual([]);
    expect(keys.all().sort()).toEqual(["CONSTRUCTORKEY", "PROTOKEY"]);
  });

  it("refuses a key with a space, a line break or another invisible character in it (PagerDuty would refuse every page), naming the entry, never the key", () => {
    const file = join(folder(), "routing-keys.json");
    for (const key of ["R0UTINGKEY\n", " R0UTINGKEY", "R0UTING\tKEY", "\uFEFFR0UTINGKEY", "R0UTING\u200BKEY"]) {
      writeFileSync(file, JSON.stringify({ orders: "GOODKEY", payments: key }));
      const read = new KeyFile(file).read();
      expect(read, JSON.stringify(key)).toEqual({ kind: "unusable", reason: 'holds a key for "payments" with a space, line break or other invisible character in it; remove it' });
    }
  });

  it("never reads past the limit a file that says it is smaller (a /proc file says 0 bytes): it is refused as too large", (ctx) => {
    // /proc/kallsyms says 0 bytes and holds several MiB on most kernels.
    let size = 0;
    try {
      size = readFileSync("/proc/kallsyms").length;
    } catch {
      // not Linux
    }
    if (size <= MAX_KEY_FILE_BYTES) return ctx.skip(`needs a /proc/kallsyms over ${MAX_KEY_FILE_BYTES} bytes (this one holds ${size})`);
    expect(new KeyFile("/proc/kallsyms").read()).toEqual({ kind: "unusable", reason: "is larger than 4 MiB; a deploy writes a few bytes per service" });
  });

  it("calls an empty file (or one of blank lines) empty, not invalid JSON", () => {
    const file = join(folder(), "routing-keys.json");
    for (const blank of ["", "\n", " \r\n\t"]) {
      writeFileSync(file, blank);
      expect(new KeyFile(file).read(), JSON.stringify(blank)).toEqual({ kind: "unusable", reason: 'is empty (a deploy writes { "<service id>": "<key>" })' });
    }
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

  it("a FIFO, a folder or a file past the limit is unusable, named as what it is", () => {
    const base = folder();
    expect(new KeyFile(base).read()).toEqual({ kind: "unusable", reason: "is a folder, not a file" });
    const big = join(base, "big.json");
    writeFileSync(big, "");
    truncateSync(big, MAX_KEY_FILE_BYTES + 1);
    expect(new KeyFile(big).read()).toMatchObject({ kind: "unusable", reason: expect.stringMatching(/larger than 4 MiB/) });
  });
});

const KEY = "R0UTINGKEY0123456789abcdefABCDEF";

describe("the routing keys file at start-up", () => {
  const judge = (text: string | null, services: string[], named: boolean) => {
    const file = join(folder(), "routing-keys.json");
    if (text !== null) writeFileSync(file, text);
    return { file, verdict: routingKeysVerdict(new KeyFile(file).read(), file, services, named) };
  };

  it("refuses a file that is not JSON, naming the file and never quoting its content (the keys)", () => {
    const { file, verdict } = judge(`{ "payments": "${KEY}", }`, ["payments"], false);
    expect(verdict).toMatchObject({ severity: "error", message: expect.stringContaining(`the routing keys file ${file} is not valid JSON`) });
    expect(verdict!.message).toMatch(/service payments takes its PagerDuty routing key from it/);
    expect(verdict!.hint).toMatch(/wk deploy/);
    expect(JSON.stringify(verdict)).not.toContain(KEY);
    // JSON.parse's own message quotes the text: "R0UTING..." is not valid JSON.
    expect(judge(KEY, ["payments"], false).verdict!.message).not.toContain(KEY.slice(0, 8));
  });

  it("refuses a file of the wrong shape: an array, or a key that is not a string, naming the entry but not the value", () => {
    expect(judge(JSON.stringify([KEY]), ["payments"], true).verdict).toMatchObject({ severity: "error", message: expect.stringMatching(/is an array, not a JSON object of service id to key/) });
    const { verdict } = judge(JSON.stringify({ payments: { key: KEY } }), ["payments"], true);
    expect(verdict).toMatchObject({ severity: "error", message: expect.stringMatching(/holds an object for "payments", not a key \(a string\)/) });
    expect(JSON.stringify(verdict)).not.toContain(KEY);
    expect(judge(JSON.stringify({ payments: "" }), ["payments"], true).verdict!.message).toMatch(/holds an empty key for "payments"/);
  });

  it("refuses a missing file that WK_ROUTING_KEYS_FILE names; warns when the default one is missing (nothing deployed yet)", () => {
    const named = judge(null, ["payments", "checkout"], true);
    expect(named.verdict).toMatchObject({ severity: "error", message: `the routing keys file ${named.file} does not exist: pages to services payments, checkout would wait, unsent, until it does` });
    expect(judge(null, ["payments"], false).verdict).toMatchObject({ severity: "warning", hint: expect.stringMatching(/--strict-secrets/) });
  });

  it("warns, naming them, about services whose key the file lacks (a new service before its deploy), as about a secret not set", () => {
    const { verdict } = judge(JSON.stringify({ payments: KEY }), ["payments", "checkout"], true);
    expect(verdict).toMatchObject({ severity: "warning", message: expect.stringMatching(/has no key for service checkout: pages to service checkout would wait/), hint: expect.stringMatching(/--strict-secrets/) });
  });

  it("says nothing when no service takes its key from the file and it is missing, and only warns when it is broken", () => {
    expect(judge(null, [], true).verdict).toBeNull();
    expect(judge("not json", [], true).verdict).toMatchObject({ severity: "warning", message: expect.stringMatching(/no service takes its key from it/) });
    expect(judge(JSON.stringify({ payments: KEY }), ["payments"], true).verdict).toBeNull();
  });
});

describe("the routing keys file while running", () => {
  it("keeps the keys it read when the file turns bad, and reports that once per change, without the keys", () => {
    const file = join(folder(), "routing-keys.json");
    writeFileSync(file, JSON.stringify({ payments: KEY }));
    const reports: string[] = [];
    const keys = new KeyFile(file, (problem) => reports.push(problem));
    expect(keys.get("payments")).toBe(KEY);
    writeFileSync(file, `{ "payments": "${KEY}"`);
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect(keys.get("payments")).toBe(KEY);
    expect(keys.get("payments")).toBe(KEY);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^\S+routing-keys\.json is not valid JSON( \(at character \d+\))?; the 1 key read before stays in use until it is fixed$/);
    rmSync(file);
    expect(keys.get("payments")).toBe(KEY);
    expect(reports[1]).toBe(`${file} is gone; the 1 key read before stays in use until it is fixed`);
    expect(reports.join("\n")).not.toContain(KEY);
  });
});
