import { isIP } from "node:net";

/** The error code of an attempt refused because the password would have crossed a network in clear. */
export const PASSWORD_NEEDS_TLS = "ENOTLS";

/**
 * Whether the host is this machine: a password sent over loopback never crosses a network, so a
 * local relay without TLS keeps working. Every other server gets the password only over TLS
 * (`secure: true`, or STARTTLS), whatever it offers.
 */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  return name === "::1" || name === "::ffff:127.0.0.1";
}

/** The failure of an attempt that stopped before AUTH on a connection without TLS. */
export function passwordNeedsTls(): Error {
  return Object.assign(new Error("the SMTP server did not offer STARTTLS, and the password is only sent over TLS"), { code: PASSWORD_NEEDS_TLS });
}
