import { isIP } from "node:net";
import { connect } from "node:tls";
import type { DeliveryFailure } from "../../types.js";

// An SMTP port speaks TLS in one of two ways: from the first byte (implicit TLS, port 465, RFC 8314)
// or in plain text until STARTTLS (ports 587 and 25, RFC 6409 and 3207). A channel whose
// `smtp.secure` says the other way never reaches the server's greeting, and waiting will not change
// that: these failures name the mismatch and the fix, and are not retried.

/** Ports that speak plain text, then STARTTLS: submission (587), relay (25), and 2525, their common stand-in. */
export const STARTTLS_PORTS: ReadonlySet<number> = new Set([25, 587, 2525]);

/** The port that speaks TLS from the first byte: submissions (465, RFC 8314). */
export const IMPLICIT_TLS_PORT = 465;

/** Where the failure happened, as the channel wrote it. */
export interface SmtpEndpoint {
  channelId: string | undefined;
  port: number;
}

function channelName(channelId: string | undefined): string {
  return channelId === undefined ? "the email channel" : `email channel "${channelId}"`;
}

/** Whether a failed TLS handshake met a server talking plain text (its `220` greeting read as a TLS record). */
export function answeredInPlainText(error: unknown): boolean {
  const e = error as { code?: unknown; reason?: unknown; message?: unknown };
  if (e.code !== "ESOCKET") return false;
  const said = `${typeof e.reason === "string" ? e.reason : ""} ${typeof e.message === "string" ? e.message : ""}`;
  return /wrong version number|packet length too long/i.test(said);
}

/** `secure: true` against a server that answered in plain text. */
export function plainTextOnTlsConnection(at: SmtpEndpoint): DeliveryFailure {
  const where = `${channelName(at.channelId)}: the SMTP server on port ${at.port} answered in plain text, but smtp.secure: true expects TLS from the first byte, so nothing was sent`;
  const fix = STARTTLS_PORTS.has(at.port)
    ? `port ${at.port} speaks plain text then STARTTLS: set smtp.secure: false (STARTTLS is still used when the server offers it, and a password is only sent over TLS)`
    : `set smtp.secure: false if the server uses STARTTLS on this port (as on 587 and 25), or use its implicit-TLS port (usually 465)`;
  return { retryable: false, reason: `${where}; ${fix}` };
}

/** `secure: false` against a server that waits for a TLS handshake (found by `speaksTls`). */
export function tlsServerOnPlainConnection(at: SmtpEndpoint): DeliveryFailure {
  return {
    retryable: false,
    reason: `${channelName(at.channelId)}: the SMTP server on port ${at.port} expects TLS from the first byte (implicit TLS) and sent no greeting on a plain connection, so nothing was sent; set smtp.secure: true${at.port === IMPLICIT_TLS_PORT ? ` (port ${IMPLICIT_TLS_PORT} is implicit TLS)` : ""}`,
  };
}

/** A server that took the connection and said nothing, and does not speak TLS either: maybe only busy. */
export function silentServer(at: SmtpEndpoint): DeliveryFailure {
  const hint = at.port === IMPLICIT_TLS_PORT ? "port 465 expects TLS from the first byte: set smtp.secure: true" : "if this port expects TLS from the first byte (as 465 does), set smtp.secure: true";
  return { retryable: true, reason: `the SMTP server on port ${at.port} accepted the connection but sent no greeting (${hint})` };
}

/**
 * Whether `host:port` completes a TLS handshake (or answers one with a TLS alert): asked only of a
 * server that stayed silent on a plain connection, to tell implicit TLS from a server that hangs.
 * Nothing is sent but the handshake, and the certificate is not judged: only the mode is learnt.
 */
export function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const name = host.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    let socket: ReturnType<typeof connect>;
    try {
      socket = connect({ host: name, port, servername: isIP(name) ? undefined : name, rejectUnauthorized: false });
    } catch {
      // Options node refuses outright (a host it cannot use): no handshake, so no TLS learnt.
      resolve(false);
      return;
    }
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("secureConnect", () => done(true));
    socket.once("error", (error: NodeJS.ErrnoException) => done(/^ERR_SSL_(TLSV1|SSLV3)_ALERT_/.test(error.code ?? "")));
  });
}
