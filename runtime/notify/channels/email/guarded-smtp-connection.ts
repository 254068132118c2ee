import type { Socket } from "node:net";
import SMTPConnection from "nodemailer/lib/smtp-connection/index.js";
import { OVERSIZED_REPLY, ReplySizeGuard } from "./smtp-reply-limit.js";
import { isLoopback } from "./smtp-tls-policy.js";

/** What this subclass uses of nodemailer 7's SMTPConnection beyond its typed API. */
interface ConnectionInternals {
  /** The socket's 'data' handler; nodemailer binds it again to the TLS socket after STARTTLS. */
  _onData(chunk: Buffer): void;
  /** Called once the TCP connection (with `secure`, the TLS handshake) is made, before the greeting. */
  _onConnect(): void;
  /** Formats the error, emits 'error' once, then closes the connection. */
  _onError(error: Error, code: string, response: false, command: string): void;
  _socket: Socket | false;
  /** Whether the server's EHLO answer offers AUTH. */
  allowsAuth: boolean;
}

const base = SMTPConnection.prototype as unknown as ConnectionInternals;

/**
 * nodemailer's SMTP connection with two limits of ours: a reply over the size limit closes the
 * connection before nodemailer's parser (quadratic in a reply's size) reads it, and `abort()`
 * closes it at once, for an attempt that timed out or a runtime that stops.
 */
export class GuardedSmtpConnection extends SMTPConnection {
  private readonly replies = new ReplySizeGuard();
  private refused = false;
  private connected = false;
  private heard = false;

  _onConnect(): void {
    this.connected = true;
    base._onConnect.call(this);
  }

  /** nodemailer reads everything from the server, also after STARTTLS, through this method. */
  _onData(chunk: Buffer): void {
    this.heard = true;
    if (this.refused) return;
    if (!this.replies.accept(chunk)) {
      this.refused = true;
      // The reply itself is never quoted: it is the server's, unbounded, and may echo what we sent.
      (this as unknown as ConnectionInternals)._onError(new Error("SMTP server sent an oversized reply"), OVERSIZED_REPLY, false, "CONN");
      this.abort();
      return;
    }
    base._onData.call(this, chunk);
  }

  /** Whether the server took the connection and has not sent a byte since (no greeting). */
  silentSinceConnect(): boolean {
    return this.connected && !this.heard;
  }

  /** Whether the connection's other end is a loopback address, whatever name led to it. */
  reachedLoopback(): boolean {
    const socket = (this as unknown as ConnectionInternals)._socket;
    return socket ? isLoopback(socket.remoteAddress ?? "") : false;
  }

  /** Whether the server offers AUTH (after STARTTLS, when it did that). */
  offersAuth(): boolean {
    return (this as unknown as ConnectionInternals).allowsAuth;
  }

  /** Drops the connection now, without QUIT, so that nothing more is read from the server. */
  abort(): void {
    const socket = (this as unknown as ConnectionInternals)._socket;
    this.close();
    if (socket) socket.destroy();
  }
}
