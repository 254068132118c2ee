import { describe, expect, it } from "vitest";
import { rateLimitKey, SlidingWindowLimiter } from "../../runtime/inbound/rate-limit.js";

describe("the emergency page's rate limit cannot be dodged by changing addresses within one IPv6 network", () => {
  it("counts every address of one IPv6 /64 against one budget, and IPv4 (mapped or not) per address", () => {
    expect(rateLimitKey("2001:db8:1:2::1")).toBe(rateLimitKey("2001:db8:1:2:ffff:abcd:1234:5678"));
    expect(rateLimitKey("2001:DB8:1:2::1")).toBe(rateLimitKey("2001:db8:1:2:0:0:0:9"));
    expect(rateLimitKey("2001:db8:1:2::1")).not.toBe(rateLimitKey("2001:db8:1:3::1"));
    expect(rateLimitKey("::ffff:203.0.113.7")).toBe(rateLimitKey("203.0.113.7"));
    expect(rateLimitKey("203.0.113.7")).not.toBe(rateLimitKey("203.0.113.8"));
    expect(rateLimitKey("unknown")).toBe(rateLimitKey("also not an address"));

    const limiter = new SlidingWindowLimiter(5, 60_000);
    const results = Array.from({ length: 7 }, (_, i) => limiter.attempt(rateLimitKey(`2001:db8:aa:bb::${(i + 1).toString(16)}`), 1_000).ok);
    expect(results).toEqual([true, true, true, true, true, false, false]);
  });
});
