import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface SelfSignedCert {
  key: string;
  cert: string;
}

/** The leaf's key: an EC curve or an RSA modulus size. */
export type TestKey = { ec: string } | { rsa: number };

/**
 * Makes a self-signed certificate for `localhost` / 127.0.0.1 valid for `days` (by default with a
 * P-256 key), with `openssl` (WK_OPENSSL_BIN overrides the command) in a temp dir that is removed
 * afterwards.
 */
export async function selfSignedCert(days: number, key: TestKey = { ec: "prime256v1" }): Promise<SelfSignedCert> {
  const newKey = "rsa" in key ? ["-newkey", `rsa:${key.rsa}`] : ["-newkey", "ec", "-pkeyopt", `ec_paramgen_curve:${key.ec}`];
  const dir = await mkdtemp(join(tmpdir(), "wk-tls-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    await run(process.env.WK_OPENSSL_BIN ?? "openssl", [
      "req", "-x509", ...newKey, "-nodes",
      "-days", String(days), "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout", keyFile, "-out", certFile,
    ]);
    return { key: await readFile(keyFile, "utf8"), cert: await readFile(certFile, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
