import { execFileSync } from "node:child_process";
import { constants } from "node:fs";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDiagnostics } from "../../runtime/diagnostics/index.js";

let dir = "";
const now = new Date("2026-03-01T12:00:00Z");
const MEMINFO = "MemTotal: 16384000 kB\nMemAvailable: 4096000 kB\n";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wk-diag-attack-"));
  await writeFile(join(dir, "meminfo"), MEMINFO);
  execFileSync("mkfifo", [join(dir, "fifo")]);
  // 1 MiB that starts like a loadavg file: only its head would have been parsed, after reading it all.
  await writeFile(join(dir, "huge"), "0.5 0.5 0.5 1/2 3\n" + "x".repeat(1024 * 1024));
});

afterAll(async () => {
  // Unblocks a reader stuck on the FIFO (the old behaviour) so the worker can exit.
  const writer = await open(join(dir, "fifo"), constants.O_WRONLY | constants.O_NONBLOCK).catch(() => null);
  await writer?.close();
  await rm(dir, { recursive: true, force: true });
});

function hostLoad(loadavgFile: string) {
  const signal = AbortSignal.timeout(5_000);
  return runDiagnostics([{ kind: "hostLoad", loadavgFile, meminfoFile: join(dir, "meminfo") }], { now, signal });
}

/** Resolves to "hung" when the promise has not settled within ms. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "hung"> {
  return Promise.race([promise, new Promise<"hung">((r) => setTimeout(() => r("hung"), ms).unref())]);
}

describe("hostLoad diagnostic reads only small regular files", () => {
  it("a FIFO at the loadavg path answers at once and says it is a FIFO", async () => {
    const report = await within(hostLoad(join(dir, "fifo")), 2_000);
    expect(report).not.toBe("hung");
    if (report === "hung") return;
    expect(report.sections[0]!.ok).toBe(false);
    expect(report.text).toContain(`cannot read ${join(dir, "fifo")}: it is a FIFO, not a file`);
    expect(report.text).toMatch(/memory .* used of/);
  });

  it("a file larger than 64 KiB is refused by name, not read whole and half-parsed", async () => {
    const report = await hostLoad(join(dir, "huge"));
    expect(report.sections[0]!.ok).toBe(false);
    expect(report.text).toContain("larger than 64 KiB");
  });

  it("a device (/dev/zero: endless) is refused at once, without reading it", async () => {
    const report = await within(hostLoad("/dev/zero"), 2_000);
    expect(report).not.toBe("hung");
    if (report === "hung") return;
    expect(report.text).toContain("cannot read /dev/zero: it is a device, not a file");
  });

  it("a folder is refused by name", async () => {
    const report = await hostLoad(dir);
    expect(report.text).toContain(`cannot read ${dir}: it is a folder, not a file`);
  });

  it("the real /proc files still read (they say their size is 0)", async () => {
    const report = await runDiagnostics([{ kind: "hostLoad", loadavgFile: "/proc/loadavg", meminfoFile: "/proc/meminfo" }], { now, signal: AbortSignal.timeout(5_000) });
    expect(report.sections[0]!.ok).toBe(true);
    expect(report.text).toMatch(/load average \d/);
  });
});

describe("httpSweep diagnostic against a hostile server", () => {
  let server: import("node:http").Server;
  let base = "";
  beforeAll(async () => {
    const { createServer } = await import("node:http");
    server = createServer((req, res) => {
      if (req.url === "/endless") {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = (): void => {
          while (res.write(chunk)) if (res.destroyed) return;
          res.once("drain", pump);
        };
        pump();
      } else if (req.url?.startsWith("/loop")) {
        res.writeHead(302, { location: `/loop?access_token=SEKRET-${Number(req.url.split("-").pop() ?? 0) + 1}` }).end();
      } else if (req.url?.startsWith("/to-hang")) {
        res.writeHead(302, { location: `${base}/hang?api_key=SEKRET-HANG` }).end();
      } else if (req.url?.startsWith("/hang")) {
        // never answers
      } else res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("an endless 200 body does not hold the sweep nor fill memory", async () => {
    const started = Date.now();
    const report = await runDiagnostics([{ kind: "httpSweep", urls: [`${base}/endless`], timeout: "2s" }], { now, signal: AbortSignal.timeout(10_000) });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(report.sections[0]!.lines[0]).toMatch(/ 200 /);
  });

  it("secrets in redirect targets and userinfo never reach the text", async () => {
    const target = `http://user:PASSWD@127.0.0.1:${new URL(base).port}`;
    const report = await runDiagnostics(
      [{ kind: "httpSweep", urls: [`${target}/loop?token=SEKRET-0`, `${target}/to-hang`, `${base}/x?password=SEKRET-Q`], timeout: "1s" }],
      { now, signal: AbortSignal.timeout(10_000) },
    );
    expect(report.text).not.toMatch(/SEKRET|PASSWD/);
    expect(JSON.stringify(report.sections)).not.toMatch(/SEKRET|PASSWD/);
  });
});
