import { createHash } from "node:crypto";
import type { Logger } from "pino";

/**
 * The store's record of browser sessions signed out before they expired (docs/views.md "Signing
 * in"). A session is named by a hash of its cookie, never the cookie itself, and is kept until the
 * session would have expired anyway.
 */
export interface SignedOutLog {
  recordSignOut(sessionId: string, until: number): Promise<void> | void;
  /** Sessions signed out that have not expired by `now`. */
  signedOutSessions(now: number): Promise<SignedOut[]> | SignedOut[];
}

export interface SignedOut {
  sessionId: string;
  /** When the session would have expired. */
  until: number;
}

/** How often a replica reads the sign-outs other replicas recorded. */
export const SIGN_OUTS_REFRESH_MS = 2_000;

/**
 * Sessions signed out: a cookie copied before its browser signed out stops working on the server,
 * not only in that browser. Checked in this runtime's memory, so a request costs one look-up in a
 * map and a session check stays synchronous; recorded in the store, so a restart keeps them and
 * every scale-out replica reads them within SIGN_OUTS_REFRESH_MS (the replica that took the
 * sign-out at once).
 */
export class SignedOutSessions {
  /** Session id -> when it would have expired. */
  private readonly until = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log?: Partial<SignedOutLog>,
    private readonly logger?: Logger,
  ) {}

  /** Whether this session cookie was signed out. */
  has(cookieValue: string): boolean {
    return this.until.has(sessionId(cookieValue));
  }

  /**
   * Signs a session out until `until` (its expiry); rejects when the store does not take it, and
   * then it is signed out on this replica only.
   */
  async signOut(cookieValue: string, until: number): Promise<void> {
    const id = sessionId(cookieValue);
    this.until.set(id, until);
    await this.log?.recordSignOut?.(id, until);
  }

  /** Reads what the store holds (other replicas' sign-outs, those from before a restart) and forgets expired ones. */
  async refresh(now: number): Promise<void> {
    for (const [id, until] of this.until) if (until < now) this.until.delete(id);
    if (!this.log?.signedOutSessions) return;
    for (const s of await this.log.signedOutSessions(now)) this.until.set(s.sessionId, s.until);
  }

  /** Reads the store now and then every SIGN_OUTS_REFRESH_MS, until close(). */
  start(now: () => number): Promise<void> {
    const read = () =>
      this.refresh(now()).catch((err: unknown) => this.logger?.warn({ err }, "signed-out sessions could not be read from the store; those already read still count"));
    this.timer ??= setInterval(() => void read(), SIGN_OUTS_REFRESH_MS);
    this.timer.unref();
    return read();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** A session's name in the store: a hash, so what is stored cannot be sent back as a cookie. */
function sessionId(cookieValue: string): string {
  return createHash("sha256").update(`watchkeeper-signed-out:${cookieValue}`).digest("hex");
}
