import { isIP } from "node:net";

/** The error code of an attempt refused because the password would have crossed a network in clear. */
export const PASSWORD_NEEDS_TLS = "ENOTLS";

/**
 * Whether the address a connection reached is this machine: a password sent over loopback never
 * crosses a network, so a local relay without TLS keeps working. Every other server gets the
 * password only over TLS (`secure: true`, or STARTTLS), whatever it offers. The address, never the
 * name: `localhost` and `*.localhost` are asked of DNS too (nodemailer asks it first), and an
 * attacker on the path who strips STARTTLS can answer DNS as well.
 */
export function isLoopback(address: string): boolean {
  const ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  if (isIP(ip) === 4) return ip.startsWith("127.");
  return ip === "::1" || /^::ffff:127\./.test(ip);
}

/** The failure of an attempt that stopped before AUTH on a connection without TLS. */
export function passwordNeedsTls(): Error {
  return Object.assign(new Error("the SMTP server did not offer STARTTLS, and the password is only sent over TLS"), { code: PASSWORD_NEEDS_TLS });
}
