import type { IncomingMessage } from "node:http";
import { rateLimitKey, SlidingWindowLimiter } from "../inbound/rate-limit.js";
import { clientAddress } from "./http-io.js";

/**
 * Wrong API tokens a client may send in any minute: three times the sign-in form's 10, so a
 * scraper left with an old token or a deploy rotating it does not lock itself out at once.
 */
export const TOKEN_GUESSES_PER_MINUTE = 30;

/**
 * Wrong bearer tokens per client address, counted in this runtime's memory (an IPv4 address or an
 * IPv6 /64, the forwarded client behind a trusted proxy, as the sign-in limit counts). The count is
 * kept per replica so that checking a token never waits for Redis: a request with the right token
 * costs one look-up in a map.
 */
export class TokenGuesses {
  private readonly limiter: SlidingWindowLimiter;

  constructor(
    private readonly trustProxy: boolean,
    perMinute = TOKEN_GUESSES_PER_MINUTE,
    maxClients?: number,
  ) {
    this.limiter = new SlidingWindowLimiter(perMinute, 60_000, maxClients);
  }

  /** How long this request's client must wait before a token it sends is compared again (0: now). */
  waitMs(req: IncomingMessage, now: number): number {
    return this.limiter.waitMs(this.clientOf(req), now);
  }

  /** Counts a wrong token sent by this request's client. */
  failed(req: IncomingMessage, now: number): void {
    this.limiter.attempt(this.clientOf(req), now);
  }

  /** Clients counted now (tests). */
  get size(): number {
    return this.limiter.size;
  }

  private clientOf(req: IncomingMessage): string {
    return rateLimitKey(clientAddress(req, this.trustProxy));
  }
}
