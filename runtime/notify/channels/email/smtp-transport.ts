import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer/index.js";
import type MailMessage from "nodemailer/lib/mailer/mail-message.js";
import type SMTPConnection from "nodemailer/lib/smtp-connection/index.js";
import { GuardedSmtpConnection } from "./guarded-smtp-connection.js";
import { passwordNeedsTls } from "./smtp-tls-policy.js";

/** Where and how to reach the SMTP server; one timeout for connecting, the greeting and each read. */
export interface SmtpServer {
  host: string;
  port: number;
  secure: boolean;
  auth: { user: string; pass: string } | null;
  timeoutMs: number;
}

/** What the server accepted: its answer, and the recipients it refused at RCPT TO while taking the others. */
export interface SmtpAccepted {
  response: string;
  rejectedErrors?: { recipient?: string; responseCode?: number; response?: string }[];
}

/** What an attempt learnt about the server beside its error, for the notifier to classify. */
export interface SmtpAttemptTrace {
  /** The server took the connection and said nothing at all before the attempt ended. */
  silentServer: boolean;
}

/**
 * Sends one message over its own SMTP connection (as nodemailer's SMTP transport does without a
 * pool): nodemailer composes the message and speaks SMTP, STARTTLS and AUTH; the connection is
 * ours, so replies are size-limited and an aborted attempt drops the connection at once.
 * `live` holds the connections in progress, for the notifier to drop when it closes; `trace`
 * is filled in when the attempt fails.
 */
export function sendSmtp(
  server: SmtpServer,
  message: Mail.Options,
  signal: AbortSignal,
  live: Set<GuardedSmtpConnection>,
  trace: SmtpAttemptTrace = { silentServer: false },
): Promise<SmtpAccepted> {
  const transport = nodemailer.createTransport<SMTPConnection.SentMessageInfo>({
    name: "watchkeeper-smtp",
    version: "1",
    send: (mail, callback) => sendOver(server, mail, signal, live, trace, callback),
  });
  return transport.sendMail(message);
}

function sendOver(
  server: SmtpServer,
  mail: MailMessage<SMTPConnection.SentMessageInfo>,
  signal: AbortSignal,
  live: Set<GuardedSmtpConnection>,
  trace: SmtpAttemptTrace,
  callback: (error: Error | null, info: SMTPConnection.SentMessageInfo) => void,
): void {
  if (signal.aborted) return callback(abortError(signal), undefined as never);
  const connection = new GuardedSmtpConnection({
    host: server.host,
    port: server.port,
    secure: server.secure,
    connectionTimeout: server.timeoutMs,
    greetingTimeout: server.timeoutMs,
    socketTimeout: server.timeoutMs,
  });
  let settled = false;
  const finish = (error: Error | null, info?: SMTPConnection.SentMessageInfo) => {
    if (settled) return;
    settled = true;
    if (error && connection.silentSinceConnect()) trace.silentServer = true;
    signal.removeEventListener("abort", onAbort);
    live.delete(connection);
    connection.close();
    callback(error, info as SMTPConnection.SentMessageInfo);
  };
  const onAbort = () => {
    connection.abort();
    finish(abortError(signal));
  };
  signal.addEventListener("abort", onAbort, { once: true });
  live.add(connection);

  connection.once("error", (error) => finish(error));
  connection.once("end", () => {
    // An error or the send's answer may still be on its way, as in nodemailer's own transport.
    if (!settled) setTimeout(() => finish(new Error("Unexpected socket close")), 1000).unref();
  });

  const sendMessage = () => {
    connection.send(mail.message.getEnvelope(), mail.message.createReadStream(), (error, info) => finish(error, info));
  };
  connection.connect(() => {
    if (settled) return;
    // nodemailer would log in over a plain connection when STARTTLS is not offered, which is
    // exactly what an attacker on the path arranges by deleting STARTTLS from the server's answer;
    // deleting AUTH as well would have it hand the alert over unauthenticated. A channel with a
    // password expects TLS: without it, nothing is sent, neither the password nor the message.
    if (server.auth && !connection.secure && !connection.reachedLoopback()) return finish(passwordNeedsTls());
    // As nodemailer does: credentials only go to a server that offers AUTH.
    if (server.auth && connection.offersAuth()) {
      connection.login(server.auth, (error) => {
        if (settled) return;
        if (error) return finish(error);
        sendMessage();
      });
    } else {
      sendMessage();
    }
  });
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error("SMTP attempt aborted");
}
