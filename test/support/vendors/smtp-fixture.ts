import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** A message the SMTP fixture accepted. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  at: number;
}

/**
 * Whether a message holds a CR or LF that is not part of a CRLF. RFC 5321 (2.3.8) forbids a client
 * to send one, and since SMTP smuggling (CVE-2023-51765) servers refuse it: sendmail 8.18.1 drops
 * the session with 421 by default (srv_features 'u' and 'g'), chasquid 1.13 aborts the
 * connection, Postfix has smtpd_forbid_bare_newline. The fakes refuse it as sendmail does.
 */
export function hasBareLineBreak(raw: string): boolean {
  return /\r(?!\n)|(?<!\r)\n/.test(raw);
}

/** sendmail 8.18.1's answer to a bare CR or LF in DATA. */
export function bareLineBreakRefusal(): Error {
  return Object.assign(new Error("4.5.0 Bare carriage return (CR) or line feed (LF) not allowed"), { responseCode: 421 });
}

export type SmtpMode = { kind: "ok" } | { kind: "reject"; code: number } | { kind: "defer"; code: number } | { kind: "slow"; delayMs: number };

/**
 * A real SMTP server (the `smtp-server` package) on loopback that records what it receives and
 * can reject (5xx), defer (4xx) or stall, for email channel tests.
 */
export class SmtpFixture {
  readonly mails: ReceivedMail[] = [];
  mode: SmtpMode = { kind: "ok" };
  /** Messages left before the mode reverts to ok; null keeps it. */
  remaining: number | null = null;
  /**
   * Recipients answered at RCPT TO with this code (4xx defers, as greylisting does) while the
   * others are taken: a message partly accepted.
   */
  readonly refuseAtRcpt = new Map<string, number>();
  port = 0;
  private readonly server: SMTPServer;

  constructor(options: { user?: string; password?: string } = {}) {
    const auth = options.user !== undefined;
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
      authOptional: !auth,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (a, _session, callback) => {
        if (a.username === options.user && a.password === options.password) return callback(null, { user: a.username });
        const error = Object.assign(new Error("Invalid username or password"), { responseCode: 535 });
        callback(error);
      },
      onRcptTo: (address, _session, callback) => {
        const code = this.refuseAtRcpt.get(address.address.toLowerCase());
        if (code === undefined) return callback();
        callback(Object.assign(new Error(code < 500 ? "4.2.0 Greylisted, try again later" : "5.1.1 User unknown"), { responseCode: code }));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const mode = this.mode;
          if (this.remaining !== null && --this.remaining <= 0) {
            this.mode = { kind: "ok" };
            this.remaining = null;
          }
          const finish = () => {
            if (hasBareLineBreak(Buffer.concat(chunks).toString("latin1"))) return callback(bareLineBreakRefusal());
            if (mode.kind === "reject" || mode.kind === "defer") {
              return callback(Object.assign(new Error(mode.kind === "reject" ? "Mailbox unavailable" : "Try again later"), { responseCode: mode.code }));
            }
            this.mails.push({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
              to: session.envelope.rcptTo.map((r) => r.address),
              raw: Buffer.concat(chunks).toString("utf8"),
              at: Date.now(),
            });
            callback();
          };
          if (mode.kind === "slow") setTimeout(finish, mode.delayMs);
          else finish();
        });
      },
    });
  }

  /** Answers the next `count` messages in this mode, then accepts again. */
  failNext(count: number, mode: SmtpMode): void {
    this.mode = mode;
    this.remaining = count;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    this.port = ((this.server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
    return this.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
