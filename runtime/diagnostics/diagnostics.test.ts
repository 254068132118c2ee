import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDnsmasq, type DnsServer } from "../../test/support/dnsmasq.js";
import { parseLoadavg, parseMeminfo, runDiagnostics } from "./index.js";

const MEMINFO = `MemTotal:       16384000 kB
MemFree:         1024000 kB
MemAvailable:    4096000 kB
Buffers:          512000 kB
Cached:          2048000 kB
HugePages_Total:       0
`;

let server: Server;
let base: string;
let dns: DnsServer;
let dir: string;
const now = new Date("2026-03-01T12:00:00Z");

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/health") res.end("ok");
    else if (req.url === "/broken") res.writeHead(503).end();
    // /hang never answers
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dns = await startDnsmasq(["--local=/x.test/", "--host-record=api.x.test,127.0.0.7"]);
  dir = await mkdtemp(join(tmpdir(), "wk-diag-"));
  await writeFile(join(dir, "loadavg"), "3.52 2.08 1.10 4/1234 5678\n");
  await writeFile(join(dir, "meminfo"), MEMINFO);
  await writeFile(join(dir, "garbage"), "\u0000\u0001 not a proc file");
}, 30_000);

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await dns?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("diagnostics", () => {
  it("print DNS answers, HTTP sweep status and latency per URL, and host load as plain text", async () => {
    const report = await runDiagnostics(
      [
        { kind: "dns", name: "api.x.test", recordType: "A", resolver: dns.address },
        { kind: "httpSweep", urls: [`${base}/health`, `${base}/broken`, `${base}/hang`], timeout: "300ms" },
        { kind: "hostLoad", loadavgFile: join(dir, "loadavg"), meminfoFile: join(dir, "meminfo") },
      ],
      { now, signal: new AbortController().signal },
    );
    const text = report.text;
    expect(text.startsWith("Diagnostics at 2026-03-01T12:00:00.000Z\n\n")).toBe(true);
    expect(text).toContain(`== DNS A api.x.test via ${dns.address} ==\n  127.0.0.7\n`);
    expect(text).toContain("== HTTP sweep: 1/3 healthy (timeout 300ms) [problem] ==");
    expect(text).toMatch(new RegExp(`  ${base}/health\\s+200  \\d+ms\\n`));
    expect(text).toMatch(new RegExp(`  ${base}/broken\\s+503  \\d+ms\\n`));
    expect(text).toMatch(new RegExp(`  ${base}/hang\\s+ERR  timeout: GET ${base}/hang timed out after 300ms`));
    expect(text).toContain("== Host load ==\n  load average 3.52 2.08 1.10 (1/5/15 min), tasks 4/1234 running/total\n  memory 11.7 GiB used of 15.6 GiB (75.0%), 3.9 GiB available\n");
    expect(report.sections.map((s) => [s.kind, s.ok])).toEqual([["dns", true], ["httpSweep", false], ["hostLoad", true]]);
  });

  it("the sweep runs URLs concurrently: slow URLs cost one timeout, not one each", async () => {
    const started = Date.now();
    await runDiagnostics([{ kind: "httpSweep", urls: [`${base}/hang`, `${base}/hang`, `${base}/hang`, `${base}/hang`], timeout: "300ms" }], { now, signal: new AbortController().signal });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("a diagnostic that cannot run says why in its own section and the others still print", async () => {
    const report = await runDiagnostics(
      [
        { kind: "hostLoad", loadavgFile: join(dir, "missing"), meminfoFile: join(dir, "garbage") },
        { kind: "dns", name: "nope.x.test", recordType: "A", resolver: dns.address },
        { kind: "httpSweep", urls: [`${base}/health`], timeout: "1s" },
      ],
      { now, signal: new AbortController().signal },
    );
    expect(report.text).toContain(`cannot read ${join(dir, "missing")}: ENOENT`);
    expect(report.text).toContain(`${join(dir, "garbage")} is not in meminfo format`);
    expect(report.text).toContain("== DNS A nope.x.test via");
    expect(report.text).toContain("no such name (NXDOMAIN)");
    expect(report.sections[2]!.ok).toBe(true);
  });

  it("parses loadavg and meminfo formats, falling back when MemAvailable is missing", () => {
    expect(parseLoadavg("0.00 0.01 0.05 1/80 42")).toEqual({ load1: 0, load5: 0.01, load15: 0.05, tasks: "1/80" });
    expect(parseLoadavg("garbage")).toBeNull();
    expect(parseMeminfo(MEMINFO)).toEqual({ totalBytes: 16384000 * 1024, availableBytes: 4096000 * 1024, usedPercent: 75 });
    const old = MEMINFO.split("\n").filter((l) => !l.startsWith("MemAvailable")).join("\n");
    expect(parseMeminfo(old)!.availableBytes).toBe((1024000 + 512000 + 2048000) * 1024);
  });

  it("no diagnostics gives empty text", async () => {
    expect(await runDiagnostics([], { now, signal: new AbortController().signal })).toEqual({ text: "", sections: [] });
  });
});
