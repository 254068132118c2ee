import { connect, type DetailedPeerCertificate, type PeerCertificate, type TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { CheckError } from "../check-error.js";
import { abortReason } from "../shared/deadline.js";

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validTo: Date;
  /** The chain's certificate (an intermediate, a root) that expires first, when it expires before the leaf. */
  chainFirst?: { subject: string; validTo: Date };
  /** The leaf's public key; null when it is not known (a simulated certificate). */
  key?: CertificateKey | null;
}

export interface CertificateKey {
  /** Node's name for the key's algorithm: `rsa`, `rsa-pss`, `ec`, `dsa`, `ed25519`, ... */
  type: string;
  /** Modulus length (RSA, DSA) or curve size (EC); null when node does not say. */
  bits: number | null;
  /** The named curve of an EC key. */
  curve?: string;
}

/**
 * The certificate of the connection a check's request went over (verified by that request), or
 * null when it is no TLS connection or presented none.
 */
export function certificateOf(socket: Socket): CertificateInfo | null {
  if (!("getPeerCertificate" in socket)) return null;
  const tls = socket as TLSSocket;
  const cert: DetailedPeerCertificate = tls.getPeerCertificate(true);
  if (!cert || !cert.valid_to) return null;
  const info: CertificateInfo = { subject: nameOf(cert.subject), issuer: nameOf(cert.issuer), validTo: new Date(cert.valid_to), key: keyOf(tls, cert) };
  // Clients fail when any certificate of the chain has expired, so the first expiry is the one to warn of.
  const seen = new Set<PeerCertificate>([cert]);
  for (let up = cert.issuerCertificate; up && !seen.has(up) && seen.size < CHAIN_MAX; up = up.issuerCertificate) {
    seen.add(up);
    const validTo = new Date(up.valid_to);
    if (validTo.getTime() < (info.chainFirst ?? info).validTo.getTime()) info.chainFirst = { subject: nameOf(up.subject), validTo };
  }
  return info;
}

/** Certificates of a chain looked at: a real one has three or four. */
const CHAIN_MAX = 10;

/**
 * Reads the certificate a TLS server presents for `url` over a connection of its own, which judges
 * no trust: only for a request whose own connection could not be seen (see certificateOf).
 */
export function readPeerCertificate(url: URL, signal: AbortSignal): Promise<CertificateInfo> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = url.port ? Number(url.port) : 443;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const socket = connect({
      host,
      port,
      servername: isIP(host) ? undefined : host,
      rejectUnauthorized: false,
    });
    const onAbort = (): void => {
      socket.destroy();
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const finish = (): void => signal.removeEventListener("abort", onAbort);
    socket.once("secureConnect", () => {
      const info = certificateOf(socket);
      socket.end();
      finish();
      if (info === null) {
        reject(new CheckError("tls", `${url.host} presented no certificate`));
        return;
      }
      resolve(info);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      finish();
      socket.destroy();
      reject(new CheckError("tls", `could not read the certificate of ${url.host} (${error.code ?? "TLS error"})`));
    });
  });
}

/**
 * The leaf's key as node reads it, or null when node cannot: the server chooses the certificate,
 * and a key node does not support (or a malformed one) throws from `publicKey`. This runs in the
 * socket's event handler, where a throw would leave the check unanswered until its timeout.
 */
export function keyOf(socket: { getPeerX509Certificate(): X509Certificate | undefined }, cert: PeerCertificate): CertificateKey | null {
  try {
    const key = socket.getPeerX509Certificate()?.publicKey;
    if (!key?.asymmetricKeyType) return null;
    const details = key.asymmetricKeyDetails ?? {};
    const bits = details.modulusLength ?? (typeof cert?.bits === "number" ? cert.bits : null);
    return { type: key.asymmetricKeyType, bits, ...(details.namedCurve ? { curve: details.namedCurve } : {}) };
  } catch {
    return null;
  }
}

function nameOf(name: PeerCertificate["subject"] | undefined): string {
  if (!name) return "";
  return name.CN ? String(name.CN) : Object.entries(name).map(([k, v]) => `${k}=${String(v)}`).join(", ");
}
