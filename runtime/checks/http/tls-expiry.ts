import { connect, type PeerCertificate } from "node:tls";
import { isIP } from "node:net";
import { CheckError } from "../check-error.js";
import { abortReason } from "../shared/deadline.js";

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validTo: Date;
}

/**
 * Reads the certificate a TLS server presents for `url`. Trust is not judged here: the check's
 * HTTP request already verified the chain; this connection only reads `valid_to`.
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
      const cert: PeerCertificate = socket.getPeerCertificate();
      socket.end();
      finish();
      if (!cert || !cert.valid_to) {
        reject(new CheckError("tls", `${url.host} presented no certificate`));
        return;
      }
      resolve({ subject: nameOf(cert.subject), issuer: nameOf(cert.issuer), validTo: new Date(cert.valid_to) });
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      finish();
      socket.destroy();
      reject(new CheckError("tls", `could not read the certificate of ${url.host} (${error.code ?? "TLS error"})`));
    });
  });
}

function nameOf(name: PeerCertificate["subject"] | undefined): string {
  if (!name) return "";
  return name.CN ? String(name.CN) : Object.entries(name).map(([k, v]) => `${k}=${String(v)}`).join(", ");
}
