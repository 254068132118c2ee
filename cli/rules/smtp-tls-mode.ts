import { IMPLICIT_TLS_PORT, STARTTLS_PORTS } from "../../runtime/notify/channels/email/smtp-tls-mode.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/**
 * An email channel's `smtp.secure` against the TLS mode its port is known for: `secure: true` on a
 * port that speaks plain text then STARTTLS (587, 25, 2525), or `secure: false` on the
 * implicit-TLS port (465). The runtime fails every delivery through such a channel at once, so
 * say it before merge. A warning: a server can be set up to speak the other way on a port, and
 * other ports are not judged.
 */
export function smtpTlsMode(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.channels.flatMap((c) => {
    if (c.kind !== "email") return [];
    const { port, secure } = c.smtp;
    const unusual = "if this server really does speak the other way on this port, turn the rule off in the config's rules";
    if (secure && STARTTLS_PORTS.has(port)) {
      return [
        diagnostic(
          "warning",
          "smtp-tls-mode",
          `email channel "${c.id}": smtp.secure: true expects TLS from the first byte, but port ${port} speaks plain text then STARTTLS, so every delivery would fail`,
          `set smtp.secure: false (STARTTLS is still used when the server offers it, and a password is only sent over TLS), or use port ${IMPLICIT_TLS_PORT} with secure: true; ${unusual}`,
          ctx.locate(c),
        ),
      ];
    }
    if (!secure && port === IMPLICIT_TLS_PORT) {
      return [
        diagnostic(
          "warning",
          "smtp-tls-mode",
          `email channel "${c.id}": smtp.secure: false speaks plain text first, but port ${port} expects TLS from the first byte (implicit TLS), so every delivery would fail`,
          `set smtp.secure: true, or use port 587 with secure: false (STARTTLS); ${unusual}`,
          ctx.locate(c),
        ),
      ];
    }
    return [];
  });
}
