import type { ChannelSpec } from "../../../../sdk/manifest/schema.js";
import type { NotificationIntent } from "../../../alerts/intent.js";
import { diagnosticsText, escapeHtml, headline, plainText, alertLinks } from "../../render.js";
import { truncate, truncateMarked } from "../../redact.js";
import type { DeliveryFailure, MessageContext, Notifier, SendContext, SendResult } from "../../types.js";
import type { GuardedSmtpConnection } from "./guarded-smtp-connection.js";
import { OVERSIZED_REPLY } from "./smtp-reply-limit.js";

type EmailChannel = Extract<ChannelSpec, { kind: "email" }>;

/**
 * A subject longer than this is cut: mail clients show about 60, and RFC 5322 asks for header
 * lines under 78 characters (nodemailer folds what is longer).
 */
export const SUBJECT_MAX = 200;
/** Diagnostics in a mail body; more is unreadable and makes some servers refuse the message. */
export const EMAIL_DIAGNOSTICS_MAX = 64 * 1024;

/** The intent as email shows it: diagnostics cut to EMAIL_DIAGNOSTICS_MAX with a marker. */
function forEmail(intent: NotificationIntent): NotificationIntent {
  const text = diagnosticsText(intent);
  if (text === null || text.length <= EMAIL_DIAGNOSTICS_MAX) return intent;
  return { ...intent, details: { ...intent.details, diagnostics: truncateMarked(text, EMAIL_DIAGNOSTICS_MAX) } };
}

/** The subject line: the headline on one line, within SUBJECT_MAX. */
export function emailSubject(intent: NotificationIntent): string {
  return truncate(headline(intent).replace(/\s+/g, " "), SUBJECT_MAX);
}

/** The plain-text part. */
export function emailText(intent: NotificationIntent, message: MessageContext): string {
  return plainText(forEmail(intent), message);
}

/** The HTML part: the same facts as the text part, readable in any mail client. */
export function emailHtml(original: NotificationIntent, message: MessageContext): string {
  const intent = forEmail(original);
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
  return [
    `<!doctype html><html lang="en"><body style="font-family:sans-serif">`,
    `<h1 style="font-size:18px">${escapeHtml(headline(intent))}</h1>`,
    `<table>${rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join("")}</table>`,
    intent.details["emergency"] === true && typeof reporter === "string" ? `<h2 style="font-size:16px">Reported</h2><p>${escapeHtml(reporter)}</p>` : "",
    alertLinks(intent, message).map((l) => `<p><a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a></p>`).join(""),
    diagnostics ? `<h2 style="font-size:16px">Diagnostics</h2><pre>${escapeHtml(diagnostics)}</pre>` : "",
    `</body></html>`,
  ].join("");
}

/**
 * SMTP email through nodemailer, plain text plus HTML. SMTP 4xx and connection trouble are
 * retryable; 5xx and authentication failures are not. A slow server only holds this
 * destination's own workers: sending never blocks checks or other channels, and a reply over
 * the limits in smtp-reply-limit.ts ends the attempt before nodemailer parses it.
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
      try {
        const server = {
          host: channel.smtp.host,
          port: channel.smtp.port,
          secure: channel.smtp.secure,
          auth: user && pass ? { user, pass } : null,
          timeoutMs: options.timeoutMs,
        };
        const sending = sendSmtp(
          server,
          {
            from: channel.from,
            to: channel.to,
            subject: emailSubject(intent),
            text: emailText(intent, message),
            html: emailHtml(intent, message),
            headers: { "X-Watchkeeper-Dedup-Key": intent.dedupKey, "X-Watchkeeper-Delivery": intent.id },
          },
          ctx.signal,
          live,
        );
        const info = await abortable(sending, ctx.signal);
        return { ok: true, status: 250, answer: truncate(String(info.response ?? "accepted"), 2000) };
      } catch (error) {
        return { ok: false, failure: classifySmtp(error, ctx.signal), status: smtpCode(error), answer: "" };
      }
    },
    close() {
      for (const connection of live) connection.abort();
      live.clear();
    },
  };
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

/** Classifies an SMTP failure by reply code and nodemailer's error code; never echoes credentials. */
export function classifySmtp(error: unknown, signal: AbortSignal): DeliveryFailure {
  if (signal.aborted) return { retryable: true, reason: "timed out waiting for the SMTP server" };
  const responseCode = smtpCode(error);
  const code = (error as { code?: unknown }).code;
  if (code === OVERSIZED_REPLY) return { retryable: true, reason: "SMTP server sent an oversized reply" };
  if (code === "EAUTH") return { retryable: false, reason: `SMTP authentication failed${responseCode ? ` (${responseCode})` : ""}` };
  if (responseCode !== null) {
    return responseCode >= 500
      ? { retryable: false, reason: `SMTP server refused the message (${responseCode})` }
      : { retryable: true, reason: `SMTP server deferred the message (${responseCode})` };
  }
  if (code === "EENVELOPE") return { retryable: false, reason: "SMTP envelope rejected" };
  return { retryable: true, reason: `SMTP connection failed${typeof code === "string" ? `: ${code}` : ""}` };
}

function missing(name: string): SendResult {
  return { ok: false, failure: { retryable: true, reason: `not available: ${name}`, missingSecret: name }, status: null, answer: "" };
}
