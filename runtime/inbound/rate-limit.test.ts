import { describe, expect, it } from "vitest";
import { attemptCounter, rateLimitKey, SlidingWindowLimiter } from "./rate-limit.js";

describe("the key a client's attempts are counted under", () => {
  it("is the address without the port a proxy may write after it", () => {
    expect(rateLimitKey("198.51.100.20:40001")).toBe("198.51.100.20");
    expect(rateLimitKey("198.51.100.20:40002")).toBe("198.51.100.20");
    expect(rateLimitKey("[2001:db8:1:2::7]:51234")).toBe(rateLimitKey("2001:db8:1:2::8"));
    expect(rateLimitKey("[2001:db8:1:2::7]")).toBe("2001:db8:1:2::/64");
  });

  it("is one key for everything that is not an address, so varying it gains nothing", () => {
    expect(rateLimitKey("unknown")).toBe(rateLimitKey("garbage-1"));
    expect(rateLimitKey("999.1.1.1:80")).toBe(rateLimitKey("not an ip"));
  });
});

describe("a limiter asked by many addresses", () => {
  it("holds at most its cap of keys, forgetting the ones idle longest", () => {
    const limiter = new SlidingWindowLimiter(3, 60_000, 1_000);
    for (let i = 0; i < 5_000; i++) limiter.attempt(`2001:db8:${i.toString(16)}::/64`, 1_000 + i);
    expect(limiter.size).toBe(1_000);
  });

  it("drops keys once their window has passed, and still limits the ones in it", () => {
    const limiter = new SlidingWindowLimiter(2, 60_000);
    for (let i = 0; i < 20_000; i++) limiter.attempt(`key-${i}`, i);
    expect(limiter.attempt("repeat", 30_000).ok).toBe(true);
    expect(limiter.attempt("repeat", 30_001).ok).toBe(true);
    expect(limiter.attempt("repeat", 30_002)).toMatchObject({ ok: false });
    // A minute after the last of them, one attempt leaves only what is still in its window.
    limiter.attempt("late", 20_000 + 60_000);
    expect(limiter.size).toBe(2);
    expect(limiter.attempt("repeat", 90_003).ok).toBe(true);
  });
});

describe("password attempts, counted where the limit holds", () => {
  it("are counted in this runtime's memory when the store keeps no shared count", async () => {
    const attempt = attemptCounter("login", 2, {});
    expect(await attempt("198.51.100.20", 0)).toEqual({ kind: "allowed" });
    expect(await attempt("198.51.100.20", 1)).toEqual({ kind: "allowed" });
    expect(await attempt("198.51.100.20", 2)).toEqual({ kind: "limited", retryAfterMs: 59_998 });
  });

  it("are counted in the store when it keeps a shared count, and refused when it does not answer", async () => {
    const asked: string[] = [];
    let answering = true;
    const attempt = attemptCounter("emergency", 5, {
      countAttempt: async (scope, key, perMinute) => {
        if (!answering) throw new Error("Connection is closed.");
        asked.push(`${scope} ${key} ${perMinute}`);
        return { ok: false, retryAfterMs: 1_000 };
      },
    });
    expect(await attempt("198.51.100.20", 0)).toEqual({ kind: "limited", retryAfterMs: 1_000 });
    expect(asked).toEqual(["emergency 198.51.100.20 5"]);
    answering = false;
    expect(await attempt("198.51.100.20", 1)).toMatchObject({ kind: "unavailable" });
  });
});
