import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { createServer as createHttpsServer, type ServerOptions } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "undici";
import type { CheckSpecOf, MonitorSpec } from "../../sdk/manifest/schema.js";
import { runCheck } from "../../runtime/checks/index.js";
import { checkContext } from "../support/check-context.js";
import { selfSignedCert } from "../support/tls.js";

// TLS targets that are broken or hostile. Every certificate or handshake problem is a `tls` error
// that names the problem (an on-call engineer reads it at 3 a.m.), never "unreachable".

const run = promisify(execFile);
const openssl = process.env.WK_OPENSSL_BIN ?? "openssl";

interface Leaf {
  key: string;
  cert: string;
}

/** A throwaway CA that signs leaves with any validity window and digest (`openssl ca`). */
async function testCa(dir: string) {
  await mkdir(join(dir, "issued"));
  await writeFile(join(dir, "index.txt"), "");
  await writeFile(join(dir, "serial"), "01\n");
  await writeFile(
    join(dir, "ca.cnf"),
    [
      "[ ca ]",
      "default_ca = test_ca",
      "[ test_ca ]",
      `database = ${join(dir, "index.txt")}`,
      `new_certs_dir = ${join(dir, "issued")}`,
      `serial = ${join(dir, "serial")}`,
      "policy = any_name",
      "copy_extensions = copy",
      "unique_subject = no",
      "[ any_name ]",
      "commonName = supplied",
      "[ leaf ]",
      "basicConstraints = CA:FALSE",
      "",
    ].join("\n"),
  );
  await run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=Watchkeeper Test CA", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem")]);
  const ca = await readFile(join(dir, "ca.pem"), "utf8");
  let n = 0;
  return {
    ca,
    async leaf(options: { host?: string; from: string; to: string; digest?: string }): Promise<Leaf> {
      const name = `leaf${++n}`;
      const host = options.host ?? "localhost";
      const san = host === "localhost" ? "DNS:localhost,IP:127.0.0.1" : `DNS:${host}`;
      await run(openssl, ["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${host}`, "-addext", `subjectAltName=${san}`, "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.csr`)]);
      await run(openssl, [
        "ca", "-batch", "-config", join(dir, "ca.cnf"), "-cert", join(dir, "ca.pem"), "-keyfile", join(dir, "ca.key"),
        "-in", join(dir, `${name}.csr`), "-out", join(dir, `${name}.pem`), "-extensions", "leaf",
        "-startdate", options.from, "-enddate", options.to, "-md", options.digest ?? "sha256",
      ]);
      return { key: await readFile(join(dir, `${name}.key`), "utf8"), cert: await readFile(join(dir, `${name}.pem`), "utf8") };
    },
  };
}

let dir: string;
let dispatcher: Agent;
const servers: Server[] = [];
const url: Record<string, string> = {};
const silentSockets = new Set<import("node:net").Socket>();

async function serve(name: string, options: ServerOptions): Promise<void> {
  const s = createHttpsServer(options, (_req, res) => res.end("ok"));
  s.on("tlsClientError", () => undefined);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  url[name] = `https://localhost:${(s.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "wk-tls-attack-"));
  const pki = await testCa(dir);
  dispatcher = new Agent({ connect: { ca: pki.ca } });
  // One after another: `openssl ca` rewrites the CA's serial and index files, and two at once race
  // on renaming them.
  const expired = await pki.leaf({ from: "20200101000000Z", to: "20200201000000Z" });
  const future = await pki.leaf({ from: "20250101000000Z", to: "21260101000000Z" });
  const wrongHost = await pki.leaf({ host: "other.test", from: "20250101000000Z", to: "21000101000000Z" });
  const sha1 = await pki.leaf({ from: "20250101000000Z", to: "21000101000000Z", digest: "sha1" });
  const current = await pki.leaf({ host: "sni.test", from: "20250101000000Z", to: "20990101000000Z" });
  const self = await selfSignedCert(30);
  await serve("expired", expired);
  await serve("future", future);
  await serve("wrongHost", wrongHost);
  // A SHA-1 signature is refused at OpenSSL's default security level on both sides: the server is
  // told to send it anyway, as an old appliance would.
  await serve("sha1", { ...sha1, ciphers: "DEFAULT@SECLEVEL=0" });
  await serve("tls10", { ...future, minVersion: "TLSv1", maxVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" });
  await serve("selfSigned", self);
  // Without SNI the server presents the wrong host's certificate; for "localhost" the right one.
  await serve("sni", { ...current, SNICallback: (name, cb) => cb(null, name === "localhost" ? createSecureContext(future) : createSecureContext(current)) });
  // Accepts TCP and never says a word of TLS.
  const silent = createTcpServer((socket) => {
    socket.on("error", () => undefined);
    silentSockets.add(socket);
  });
  servers.push(silent);
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  url.silent = `https://localhost:${(silent.address() as AddressInfo).port}/`;
}, 60_000);

afterAll(async () => {
  await dispatcher?.destroy();
  for (const socket of silentSockets) socket.destroy();
  for (const s of servers) (s as Partial<import("node:https").Server>).closeAllConnections?.();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await rm(dir, { recursive: true, force: true });
});

function monitor(target: string, expect: Partial<CheckSpecOf<"http">["expect"]> = {}, timeout = "2s"): MonitorSpec {
  const check: CheckSpecOf<"http"> = {
    kind: "http",
    url: target,
    method: "GET",
    headers: {},
    body: null,
    timeout,
    followRedirects: true,
    expect: { status: [], maxLatency: null, headers: {}, json: [], bodyContains: null, tlsExpiryWithin: null, ...expect },
  };
  return { id: "tls-attack", check } as unknown as MonitorSpec;
}

const now = () => checkContext({ dispatcher, now: new Date() });

describe("TLS targets", () => {
  it.each([
    ["expired", "CERT_HAS_EXPIRED"],
    ["wrongHost", "ERR_TLS_CERT_ALTNAME_INVALID"],
    ["selfSigned", "DEPTH_ZERO_SELF_SIGNED_CERT"],
    ["sha1", "CA signature digest algorithm too weak"],
    ["tls10", "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"],
  ])("a %s certificate or handshake is a tls error naming it", async (name, problem) => {
    const out = await runCheck(monitor(url[name]!, { tlsExpiryWithin: "14d" }), now());
    expect(out).toMatchObject({ kind: "error", reason: "tls", error: `TLS failure at ${url[name]}: ${problem}` });
  });

  it("a server that accepts and never finishes the handshake ends at the check's timeout", async () => {
    const started = performance.now();
    const out = await runCheck(monitor(url.silent!, { tlsExpiryWithin: "14d" }, "400ms"), now());
    expect(performance.now() - started).toBeLessThan(1000);
    expect(out).toMatchObject({ kind: "error", reason: "timeout" });
  });

  it("tlsExpiryWithin passes a certificate that expires in 100 years and reports its date", async () => {
    const out = await runCheck(monitor(url.future!, { tlsExpiryWithin: "30d" }), now());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true, details: { certificateExpiresAt: "2126-01-01T00:00:00.000Z", certificateSubject: "localhost" } }] });
  });

  it("tlsExpiryWithin reads the certificate the server presents for the URL's host name (SNI)", async () => {
    const out = await runCheck(monitor(url.sni!, { tlsExpiryWithin: "30d" }), now());
    expect(out).toMatchObject({ kind: "results", results: [{ ok: true, details: { certificateSubject: "localhost", certificateExpiresAt: "2126-01-01T00:00:00.000Z" } }] });
  });
});
