import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { copyFixture } from "../compiler/support.js";
import { writeArtifact } from "../delivery/support/process.js";
import { manifestOf, monitorSpec } from "../runtime/support/manifest.js";
import { ensureBuild, messageLines, wk, type Finished } from "./cli-process.js";

/** An unprivileged user: root ignores file modes, so "permission denied" needs someone else. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
/** Ports below this need privileges (Linux); where the kernel lets anyone bind low ports, there is no EACCES to see. */
const unprivilegedFrom = (() => {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
  } catch {
    return 1024;
  }
})();

/** A refusal as the issue asks for it: exit 1, one `error:` line, one `hint:` line, no stack trace, no "bug". */
function expectOneLineRefusal(ran: Finished, mentions: RegExp): void {
  const lines = messageLines(ran.stderr);
  const what = `stderr was:\n${ran.stderr}`;
  expect(ran.code, what).toBe(EXIT.findings);
  expect(lines.filter((l) => l.startsWith("error: ")), what).toHaveLength(1);
  expect(lines.filter((l) => l.startsWith("hint: ")), what).toHaveLength(1);
  expect(lines, what).toHaveLength(2);
  expect(ran.stderr, what).not.toMatch(/internal error|this is a bug|^\s+at /m);
  expect(lines[0], what).toMatch(mentions);
}

function listenOn(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

const port = (server: Server) => (server.address() as { port: number }).port;

describe("a busy port or an unwritable folder is a one-line error with a hint, not a bug report", () => {
  let dir = "";
  let artifact = "";
  /** A regular file: anything "under" it cannot be created, even by root (ENOTDIR). */
  let file = "";
  let busy: Server;
  /** A copy of the `ok` fixture: plan and deploy make `.watchkeeper` in the project they are given. */
  let project = "";
  let fixture: Awaited<ReturnType<typeof copyFixture>> | undefined;

  beforeAll(async () => {
    ensureBuild();
    dir = await mkdtemp(join(tmpdir(), "wk-cli-failures-"));
    await chmod(dir, 0o755);
    fixture = await copyFixture("ok");
    project = fixture.dir;
    artifact = join(dir, "artifact");
    await writeArtifact(artifact, manifestOf([monitorSpec({ id: "api-health" })]));
    file = join(dir, "a-file");
    await writeFile(file, "not a folder\n");
    busy = await listenOn(0, "127.0.0.1");
  });

  afterAll(async () => {
    await new Promise<void>((done) => busy.close(() => done()));
    await rm(dir, { recursive: true, force: true });
    await fixture?.cleanup();
  });

  it("wk run on a port that is already taken names the port and exits 1", async () => {
    const ran = await wk(["run", "--artifact", artifact, "--state", join(dir, "state-busy"), "--host", "127.0.0.1", "--port", String(port(busy))]);
    expectOneLineRefusal(ran, new RegExp(`port ${port(busy)} on 127\\.0\\.0\\.1 is already in use`));
    expect(ran.stderr).toMatch(/hint: .*--port/);
  });

  it.skipIf(!asRoot || unprivilegedFrom <= 80)("wk run on a privileged port as an ordinary user says ports below 1024 need privileges", async () => {
    const state = join(dir, "state-nobody");
    await mkdir(state, { mode: 0o777 });
    await chmod(state, 0o777);
    const ran = await wk(["run", "--artifact", artifact, "--state", state, "--host", "127.0.0.1", "--port", "80"], { uid: NOBODY, env: { HOME: tmpdir() } });
    expectOneLineRefusal(ran, /not allowed to listen on port 80/);
    expect(ran.stderr).toMatch(/hint: ports below 1024 need privileges/);
  });

  it("wk run --host with an address this machine does not have says so", async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): documentation only, never assigned to a host.
    const ran = await wk(["run", "--artifact", artifact, "--state", join(dir, "state-host"), "--host", "192.0.2.1", "--port", "0"]);
    expectOneLineRefusal(ran, /192\.0\.2\.1: the address is not on this machine/);
  });

  it("wk run --host with a name that does not resolve says so in one line, not a stack", async () => {
    // `.invalid` never resolves (RFC 6761).
    const ran = await wk(["run", "--artifact", artifact, "--state", join(dir, "state-name"), "--host", "wk-no-such-host.invalid", "--port", "0"]);
    expectOneLineRefusal(ran, /cannot listen on "wk-no-such-host\.invalid": it is not an address of this machine/);
  });

  it("wk run with a state folder that cannot be created says which path and why", async () => {
    const ran = await wk(["run", "--artifact", artifact, "--state", join(file, "state"), "--host", "127.0.0.1", "--port", "0"]);
    expectOneLineRefusal(ran, /a-file\/state: a part of the path is a file, not a folder/);
  });

  it("wk dev on a port that is already taken names the port and exits 1", async () => {
    const ran = await wk(["dev", "--port", String(port(busy))]);
    expectOneLineRefusal(ran, new RegExp(`port ${port(busy)} on 127\\.0\\.0\\.1 is already in use`));
  });

  it("wk init into a folder that cannot be created exits 1 with the path", async () => {
    const ran = await wk(["init", join(file, "monitoring")]);
    expectOneLineRefusal(ran, /a-file\/monitoring/);
  });

  it.skipIf(!asRoot)("wk init into a folder the user may not write to says permission denied", async () => {
    const locked = join(dir, "locked");
    await mkdir(locked, { mode: 0o755 });
    const ran = await wk(["init", join(locked, "monitoring")], { uid: NOBODY, cwd: dir, env: { HOME: tmpdir() } });
    expectOneLineRefusal(ran, /locked\/monitoring: permission denied/);
  });

  it("wk compile --out under a file exits 1 with the path", async () => {
    const ran = await wk(["compile", "--project", project, "--out", join(file, "artifact")]);
    const lines = messageLines(ran.stderr);
    expect(ran.code, ran.stdout + ran.stderr).toBe(EXIT.findings);
    expect(lines.filter((l) => l.startsWith("error: ")), ran.stderr).toEqual([expect.stringContaining(join(file, "artifact"))]);
    expect(lines.filter((l) => l.startsWith("hint: "))).toHaveLength(1);
    expect(ran.stderr).not.toMatch(/internal error|^\s+at /m);
  });

  it("wk plan --out under a file exits 1 with the path", async () => {
    const ran = await wk(["plan", "--project", project, "--out", join(file, "plan.json")]);
    expectOneLineRefusal(ran, /a-file\/plan\.json/);
  });

  it("wk deploy --routing-keys-out under a file is refused before anything is deployed", async () => {
    // The check comes first, so it holds without the Pulumi CLI as much as with it.
    const ran = await wk(["deploy", "--project", project, "--routing-keys-out", join(file, "routing-keys.json"), "--yes"]);
    expectOneLineRefusal(ran, /--routing-keys-out .*a-file\/routing-keys\.json: .*nothing was deployed/);
  });
});
