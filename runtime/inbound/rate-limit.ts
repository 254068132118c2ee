import { isIPv4, isIPv6 } from "node:net";

/** Keys a limiter holds at most: past it the ones idle longest are forgotten first. */
const MAX_KEYS = 50_000;

/**
 * At most `limit` attempts per key within a sliding `windowMs`; time is an argument. Keys are kept
 * in the order of their last attempt, so expired ones are dropped from the front as they expire:
 * each attempt costs what it drops, however many addresses (IPv6 /64s are cheap) a client uses.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  /** Counts an attempt; returns false (and how long to wait) when the key is over its limit. */
  attempt(key: string, now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.prune(now);
    const recent = (this.hits.get(key) ?? []).filter((at) => now - at < this.windowMs);
    // Moved to the back: the map stays ordered by last attempt.
    this.hits.delete(key);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return { ok: false, retryAfterMs: this.windowMs - (now - recent[0]!) };
    }
    recent.push(now);
    this.hits.set(key, recent);
    for (const oldest of this.hits.keys()) {
      if (this.hits.size <= this.maxKeys) break;
      this.hits.delete(oldest);
    }
    return { ok: true };
  }

  /** How long `key` must wait before an attempt would be let through (0: now); counts nothing. */
  waitMs(key: string, now: number): number {
    const recent = (this.hits.get(key) ?? []).filter((at) => now - at < this.windowMs);
    return recent.length >= this.limit ? this.windowMs - (now - recent[0]!) : 0;
  }

  /** Keys the limiter holds now (tests, metrics). */
  get size(): number {
    return this.hits.size;
  }

  private prune(now: number): void {
    for (const [key, list] of this.hits) {
      if (now - list[list.length - 1]! < this.windowMs) return;
      this.hits.delete(key);
    }
  }
}

/** What counting one attempt said: let through, over the limit (and how long to wait), or not counted at all. */
export type Counted = { kind: "allowed" } | { kind: "limited"; retryAfterMs: number } | { kind: "unavailable"; error: unknown };

/** A store that counts attempts for every runtime sharing it (the Redis store: every replica). */
export interface SharedAttempts {
  /**
   * Counts an attempt of `key` in `scope`, at most `perMinute` in any minute; rejects when the store
   * does not answer. A store shared by replicas may count on its own clock rather than `now`.
   */
  countAttempt(scope: string, key: string, perMinute: number, now: number): Promise<{ ok: true } | { ok: false; retryAfterMs: number }>;
}

/**
 * Counts password attempts per client, `perMinute` in any minute: in the store when it shares
 * counts (scale-out replicas behind one load balancer would otherwise each allow the limit, N
 * times the guesses), else in this runtime's memory. A shared count the store cannot take is
 * `unavailable`, and the caller refuses the attempt rather than let it through uncounted.
 */
export function attemptCounter(scope: string, perMinute: number, store: Partial<SharedAttempts>): (key: string, now: number) => Promise<Counted> {
  const countedOf = (r: { ok: true } | { ok: false; retryAfterMs: number }): Counted => (r.ok ? { kind: "allowed" } : { kind: "limited", retryAfterMs: r.retryAfterMs });
  const shared = store.countAttempt?.bind(store);
  if (!shared) {
    const local = new SlidingWindowLimiter(perMinute, 60_000);
    return async (key, now) => countedOf(local.attempt(key, now));
  }
  return async (key, now) => {
    try {
      return countedOf(await shared(scope, key, perMinute, now));
    } catch (error) {
      return { kind: "unavailable", error };
    }
  };
}

/**
 * The key a client's attempts are counted under: an IPv4 address as is (IPv4-mapped IPv6 too), an
 * IPv6 address by its /64 network. One host holds a whole /64 and could otherwise pick a fresh
 * address for every guess of the emergency password.
 */
export function rateLimitKey(address: string): string {
  const bare = withoutPort(address.trim().toLowerCase()).replace(/%.*$/, "");
  if (isIPv4(bare)) return bare;
  // Not an address (a proxy's odd X-Forwarded-For entry): one key for all of them, so varying it gains nothing.
  if (!isIPv6(bare)) return "not-an-address";
  const mapped = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  const [head = "", tail] = bare.split("::") as [string, string | undefined];
  const groups = (part: string) => (part === "" ? [] : part.split(":")).flatMap((g) => (g.includes(".") ? ipv4Groups(g) : [g]));
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const full = [...before, ...Array<string>(Math.max(0, 8 - before.length - after.length)).fill("0"), ...after];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}

/** A proxy may write the client as `203.0.113.7:51234` or `[2001:db8::1]:51234`: the port is not the client. */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return v4 ? v4[1]! : address;
}

function ipv4Groups(v4: string): string[] {
  const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
