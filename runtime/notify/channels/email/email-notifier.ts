import { domainToASCII } from "node:url";
import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { withoutDirectionalControls } from "../../../text/bidi.js";
import { diagnosticsText, escapeHtml, headline, plainText, alertLinks } from "../../render.js";
import { truncate, truncateMarked } from "../../redact.js";
import type { DeliveryFailure, MessageContext, Notifier, SendContext, SendResult } from "../../types.js";
import type { GuardedSmtpConnection } from "./guarded-smtp-connection.js";
import { OVERSIZED_REPLY } from "./smtp-reply-limit.js";
import { PASSWORD_NEEDS_TLS } from "./smtp-tls-policy.js";
import type { SmtpAccepted, SmtpAttemptTrace } from "./smtp-transport.js";
import { answeredInPlainText, plainTextOnTlsConnection, silentServer, speaksTls, tlsServerOnPlainConnection } from "./smtp-tls-mode.js";

type EmailChannel = Extract<ChannelSpec, { kind: "email" }>;

/**
 * A subject longer than this is cut: mail clients show about 60, and RFC 5322 asks for header
 * lines under 78 characters (nodemailer folds what is longer).
 */
export const SUBJECT_MAX = 200;
/** Diagnostics in a mail body; more is unreadable and makes some servers refuse the message. */
export const EMAIL_DIAGNOSTICS_MAX = 64 * 1024;
/**
 * Diagnostics in the second try of a message the server refused as too big (552 after DATA):
 * the alert itself must get through a server with a small size limit.
 */
export const EMAIL_DIAGNOSTICS_SHORT = 4 * 1024;

/** The intent as email shows it: diagnostics cut to `max` with a marker. */
function forEmail(intent: NotificationIntent, max: number): NotificationIntent {
  const text = diagnosticsText(intent);
  if (text === null || text.length <= max) return intent;
  return { ...intent, details: { ...intent.details, diagnostics: truncateMarked(text, max) } };
}

/**
 * The subject line: the headline on one line, within SUBJECT_MAX, without control characters.
 * nodemailer writes an ASCII subject into the header as it is, and RFC 5322 allows only printable
 * characters and spaces there: a NUL or an escape sequence from a check's output would go out raw.
 * Directional overrides go too, as from the HTML part: one in a summary or an agent's name would
 * have the subject read as something other than what it says.
 */
export function emailSubject(intent: NotificationIntent): string {
  return truncate(withoutDirectionalControls(headline(intent)).replace(/[\x00-\x1f\x7f]/g, " ").replace(/\s+/g, " "), SUBJECT_MAX);
}

/**
 * Body text with every CR that does not start a CRLF made a line break. nodemailer turns a lone LF
 * into CRLF but sends a lone CR as it is (progress lines in script output, `10%\r55%`), which
 * RFC 5321 (2.3.8) forbids a client to send: since SMTP smuggling, servers refuse it (sendmail
 * 8.18.1 drops the session with 421 whatever the retry), and the email would never arrive.
 */
export function mailLines(text: string): string {
  return text.replace(/\r\n?/g, "\n");
}

/** The plain-text part, in the order it is stored (no directional overrides), as the HTML part. */
export function emailText(intent: NotificationIntent, message: MessageContext, diagnosticsMax = EMAIL_DIAGNOSTICS_MAX): string {
  return mailLines(withoutDirectionalControls(plainText(forEmail(intent, diagnosticsMax), message)));
}

/** The HTML part: the same facts as the text part, readable in any mail client. */
export function emailHtml(original: NotificationIntent, message: MessageContext, diagnosticsMax = EMAIL_DIAGNOSTICS_MAX): string {
  const intent = forEmail(original, diagnosticsMax);
  const rows = [
    ["Monitor", `${message.monitor?.name ?? intent.monitorId} (${intent.monitorId})`],
    ["Severity", intent.severity],
    ...(intent.value !== null ? [["Value", String(intent.value)]] : []),
    ...Object.entries(intent.labels).map(([k, v]) => [k, v]),
    ["At", new Date(intent.at).toISOString()],
    ...(intent.acknowledgedBy ? [["Acknowledged by", intent.acknowledgedBy]] : []),
  ];
  const reporter = intent.details["message"];
  const diagnostics = diagnosticsText(intent);
  return mailLines([
    `<!doctype html><html lang="en"><body style="font-family:sans-serif">`,
    `<h1 style="font-size:18px">${escapeHtml(headline(intent))}</h1>`,
    `<table>${rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join("")}</table>`,
    intent.details["emergency"] === true && typeof reporter === "string" ? `<h2 style="font-size:16px">Reported</h2><p>${escapeHtml(reporter)}</p>` : "",
    alertLinks(intent, message).map((l) => `<p><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></p>`).join(""),
    diagnostics ? `<h2 style="font-size:16px">Diagnostics</h2><pre>${escapeHtml(diagnostics)}</pre>` : "",
    `</body></html>`,
  ].join(""));
}

/** A recipient the server refused at RCPT TO while it took the others. */
interface RefusedRecipient {
  recipient: string;
  code: number | null;
  reply: string;
}

/**
 * SMTP email through nodemailer, plain text plus HTML. SMTP 4xx and connection trouble are
 * retryable; 5xx and a refused password are not. A slow server only holds this destination's own
 * workers: sending never blocks checks or other channels, and a reply over the limits in
 * smtp-reply-limit.ts ends the attempt before nodemailer parses it. When the server takes the
 * message for some recipients and defers others (greylisting), the attempt is retried for the
 * deferred ones only, so nobody is dropped and nobody gets it twice: the failure names them
 * (`owedTo`), the store keeps them on the delivery, and the retry's context hands them back, so a
 * restart between the two attempts changes nothing.
 */
export function emailNotifier(channel: EmailChannel, options: { timeoutMs: number }): Notifier {
  let smtp: Promise<typeof import("./smtp-transport.js")> | null = null;
  const live = new Set<GuardedSmtpConnection>();
  return {
    kind: "email",
    timeoutMs: options.timeoutMs,
    async send(intent: NotificationIntent, message: MessageContext, ctx: SendContext): Promise<SendResult> {
      const user = channel.smtp.user === null ? null : typeof channel.smtp.user === "string" ? channel.smtp.user : ctx.secret(channel.smtp.user.secret);
      if (user === undefined && channel.smtp.user !== null && typeof channel.smtp.user !== "string") return missing(channel.smtp.user.secret);
      const pass = channel.smtp.password === null ? null : ctx.secret(channel.smtp.password.secret);
      if (pass === undefined && channel.smtp.password !== null) return missing(channel.smtp.password.secret);
      // Loaded on the first email: a runtime with no email channel never pays for nodemailer.
      const { sendSmtp } = await (smtp ??= import("./smtp-transport.js"));
      const to = owedStill(ctx.owedTo, channel.to);
      // Everyone still owed left the channel in a rollout: nobody is left to send it to.
      if (to.length === 0) return { ok: true, status: null, answer: "no recipient still owed this email is in the channel any more" };
      const trace: SmtpAttemptTrace = { silentServer: false };
      try {
        const server = {
          host: channel.smtp.host,
          port: channel.smtp.port,
          secure: channel.smtp.secure,
          auth: user && pass ? { user, pass } : null,
          timeoutMs: options.timeoutMs,
        };
        const compose = (diagnosticsMax: number) => ({
          from: channel.from,
          to,
          subject: emailSubject(intent),
          text: emailText(intent, message, diagnosticsMax),
          html: emailHtml(intent, message, diagnosticsMax),
          headers: { "X-Watchkeeper-Dedup-Key": intent.dedupKey, "X-Watchkeeper-Delivery": intent.id },
        });
        let info: SmtpAccepted;
        try {
          info = await abortable(sendSmtp(server, compose(EMAIL_DIAGNOSTICS_MAX), ctx.signal, live, trace), ctx.signal);
        } catch (error) {
          if (!refusedAsTooBig(error) || (diagnosticsText(intent)?.length ?? 0) <= EMAIL_DIAGNOSTICS_SHORT) throw error;
          // The server refused the whole message, for every recipient: a shorter one is no duplicate.
          info = await abortable(sendSmtp(server, compose(EMAIL_DIAGNOSTICS_SHORT), ctx.signal, live), ctx.signal);
        }
        const refused = refusedRecipients(info.rejectedErrors);
        const deferred = refused.filter(deferredAtRcpt);
        const accepted = truncate(String(info.response ?? "accepted"), 2000);
        if (deferred.length > 0) {
          // Those refused for good are named here, in the attempt that met them: the retry goes to
          // the deferred ones only and will not hear of them again.
          const gone = refused.filter((r) => !deferredAtRcpt(r));
          const reason = `SMTP server deferred ${describeRefused(deferred)}${gone.length > 0 ? `; refused ${describeRefused(gone)}` : ""}; the others have it`;
          const owedTo = deferred.map((r) => r.recipient);
          return { ok: false, failure: { retryable: true, reason, owedTo }, status: deferred[0]!.code, answer: truncate(`${accepted}; ${reason}`, 2000) };
        }
        const note = refused.length > 0 ? `; SMTP server refused ${describeRefused(refused)}` : "";
        return { ok: true, status: 250, answer: truncate(accepted + note, 2000) };
      } catch (error) {
        // A reply to AUTH can quote what was sent (the password, or its base64): never kept.
        const answer = (error as { code?: unknown }).code === "EAUTH" ? "" : (smtpReply(error) ?? "");
        const failure = trace.silentServer && !channel.smtp.secure ? await silentOnPlain(channel, options.timeoutMs) : classifySmtp(error, ctx.signal, channel.id, channel.smtp.port);
        return { ok: false, failure, status: smtpCode(error), answer };
      }
    },
    close() {
      for (const connection of live) connection.abort();
      live.clear();
    },
  };
}

/** Longest wait for the TLS handshake that tells an implicit-TLS port from a server that hangs. */
const TLS_PROBE_MAX_MS = 3_000;

/**
 * A server that took a plain connection and never greeted: an implicit-TLS port waits for our
 * handshake that way, and so does a server too busy to answer. One TLS handshake tells them apart.
 */
async function silentOnPlain(channel: EmailChannel, timeoutMs: number): Promise<DeliveryFailure> {
  const at = { channelId: channel.id, port: channel.smtp.port };
  const tls = await speaksTls(channel.smtp.host, channel.smtp.port, Math.min(TLS_PROBE_MAX_MS, timeoutMs));
  return tls ? tlsServerOnPlainConnection(at) : silentServer(at);
}

/** 552 in answer to the message itself (RFC 5321: exceeded storage allocation; 5.3.4 too big). */
function refusedAsTooBig(error: unknown): boolean {
  return (error as { code?: unknown }).code === "EMESSAGE" && smtpCode(error) === 552;
}

/**
 * Who this attempt sends to: the recipients an earlier attempt left owed that the channel still
 * lists (a rollout may have removed one since), or the channel's whole list on a first attempt.
 */
function owedStill(owedTo: string[] | undefined, to: string[]): string[] {
  if (!owedTo) return to;
  const owed = new Set(owedTo.map(envelopeForm));
  // The channel's entries as written, so the retry's To header keeps their display names.
  return to.filter((r) => owed.has(envelopeForm(r)));
}

/**
 * A recipient as nodemailer puts it in RCPT TO, where the server names the ones it defers: the
 * bare address of `Ops <ops@example.com>`, its domain lower-cased and in punycode
 * (`josé@exämple.com` goes out as `josé@xn--exmple-cua.com`). Compared case-insensitively.
 */
function envelopeForm(recipient: string): string {
  const address = (/<([^<>]*)>\s*$/.exec(recipient)?.[1] ?? recipient).trim();
  const at = address.lastIndexOf("@");
  if (at < 0) return address.toLowerCase();
  const domain = address.slice(at + 1).toLowerCase();
  return `${address.slice(0, at).toLowerCase()}@${domainToASCII(domain) || domain}`;
}

/**
 * A recipient refused for now: 4xx, and 552 at RCPT TO, which RFC 5321 (4.5.3.1.10) says a client
 * "SHOULD treat ... as a temporary, rather than permanent, failure" (too many recipients).
 */
function deferredAtRcpt(r: RefusedRecipient): boolean {
  return r.code !== null && (r.code < 500 || r.code === 552);
}

function refusedRecipients(errors: SmtpAccepted["rejectedErrors"]): RefusedRecipient[] {
  return (errors ?? []).flatMap((e) => (e.recipient ? [{ recipient: e.recipient, code: typeof e.responseCode === "number" ? e.responseCode : null, reply: firstLine(e.response) }] : []));
}

function describeRefused(refused: RefusedRecipient[]): string {
  return refused.map((r) => `${r.recipient}${r.reply ? ` (${r.reply})` : ""}`).join(", ");
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function smtpCode(error: unknown): number | null {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === "number" ? code : null;
}

/** The server's reply to the failed command (`550 5.1.1 User unknown`), one line, shortened. */
function smtpReply(error: unknown): string | null {
  const response = (error as { response?: unknown }).response;
  return typeof response === "string" && response.trim() !== "" ? firstLine(response) : null;
}

function firstLine(text: string | undefined): string {
  return truncate((text ?? "").split(/\r?\n/)[0]!.trim(), 200);
}

/** Node's own words for a failed connection or TLS handshake (`self-signed certificate`), shortened. */
function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" ? truncate(message.replace(/\s+/g, " ").trim(), 200) : "";
}

/**
 * Classifies an SMTP failure by reply code and nodemailer's error code, the way mail servers
 * treat their own: 4xx and TLS or connection trouble are temporary, 5xx permanent, and so is a
 * `secure: true` met by a server talking plain text (smtp-tls-mode.ts). The server's reply is
 * quoted, except to AUTH: credentials are never echoed.
 */
export function classifySmtp(error: unknown, signal: AbortSignal, channelId?: string, port?: number): DeliveryFailure {
  if (port !== undefined && answeredInPlainText(error)) return plainTextOnTlsConnection({ channelId, port });
  if (signal.aborted) return { retryable: true, reason: "timed out waiting for the SMTP server" };
  const responseCode = smtpCode(error);
  const code = (error as { code?: unknown }).code;
  const reply = smtpReply(error);
  if (code === OVERSIZED_REPLY) return { retryable: true, reason: "SMTP server sent an oversized reply" };
  if (code === PASSWORD_NEEDS_TLS) {
    // Not retried: the server's answer (or the attacker's) will not change by itself, and each
    // retry would only wait 24 h to fail; the fix is in the channel or the server.
    const channel = channelId === undefined ? "the email channel" : `email channel "${channelId}"`;
    return {
      retryable: false,
      reason: `${channel}: the SMTP server did not offer STARTTLS and the connection is not TLS, so nothing was sent; the password is only sent over TLS (set smtp.secure: true on port 465, or enable STARTTLS on the server)`,
    };
  }
  if (code === "EAUTH") {
    return responseCode !== null && responseCode < 500
      ? { retryable: true, reason: `SMTP authentication failed temporarily (${responseCode})` }
      : { retryable: false, reason: `SMTP authentication failed${responseCode ? ` (${responseCode})` : ""}: the server refused the user name or password` };
  }
  if (code === "ETLS") return { retryable: true, reason: `SMTP STARTTLS failed: ${reply ?? errorMessage(error)}` };
  const refused = refusedRecipients((error as { rejectedErrors?: SmtpAccepted["rejectedErrors"] }).rejectedErrors);
  // Every recipient refused: one deferral among them makes it temporary, whatever the last reply
  // said, and the retry goes to the deferred ones only; those refused for good are named now.
  const deferred = refused.filter(deferredAtRcpt);
  if (deferred.length > 0) {
    const gone = refused.filter((r) => !deferredAtRcpt(r));
    const reason = `SMTP server deferred ${describeRefused(deferred)}${gone.length > 0 ? `; refused ${describeRefused(gone)}` : ""}`;
    return { retryable: true, reason, owedTo: deferred.map((r) => r.recipient) };
  }
  if (refused.length > 0) return { retryable: false, reason: `SMTP server refused ${describeRefused(refused)}` };
  if (responseCode !== null) {
    const said = reply ?? String(responseCode);
    return responseCode >= 500
      ? { retryable: false, reason: `SMTP server refused the message: ${said}` }
      : { retryable: true, reason: `SMTP server deferred the message: ${said}` };
  }
  if (code === "EENVELOPE") return { retryable: false, reason: `SMTP envelope rejected: ${errorMessage(error)}` };
  const detail = errorMessage(error);
  return { retryable: true, reason: `SMTP connection failed${typeof code === "string" ? ` (${code})` : ""}${detail ? `: ${detail}` : ""}` };
}

function missing(name: string): SendResult {
  return { ok: false, failure: { retryable: true, reason: `not available: ${name}`, missingSecret: name }, status: null, answer: "" };
}
