import type { IncomingMessage } from "node:http";

/**
 * The client address, honouring X-Forwarded-For only when the runtime sits behind a trusted proxy.
 * Then the last entry counts: the proxy appends the address it saw, while every entry before it is
 * whatever the client chose to send (taking the first would let a client pick a fresh address for
 * every attempt and dodge the emergency page's rate limit).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"];
    const entries = (Array.isArray(forwarded) ? forwarded.join(",") : forwarded ?? "").split(",");
    const last = entries[entries.length - 1]?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? "unknown";
}

/**
 * Whether the browser reached the runtime over https: the connection is TLS, or, behind a trusted
 * proxy, the proxy says so in X-Forwarded-Proto (its last entry, the one the proxy wrote; a client
 * may have sent the ones before it).
 */
export function reachedOverHttps(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true;
  if (!trustProxy) return false;
  const forwarded = req.headers["x-forwarded-proto"];
  const entries = (Array.isArray(forwarded) ? forwarded.join(",") : forwarded ?? "").split(",");
  return entries[entries.length - 1]?.trim().toLowerCase() === "https";
}

/** Parses a JSON body; null when it is not valid UTF-8 or not valid JSON (both answered 400). */
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(strictUtf8.decode(raw)) as unknown;
  } catch {
    return null;
  }
}

/** Invalid UTF-8 is refused rather than silently turned into U+FFFD. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The value of a header that may be sent once or several times. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(",") : value;
}
