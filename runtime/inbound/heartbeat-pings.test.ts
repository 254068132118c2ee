import { describe, expect, it } from "vitest";
import { HeartbeatPings } from "./heartbeat-pings.js";

const T = Date.parse("2026-03-01T12:00:00Z");

describe("heartbeat pings past the limit", () => {
  it("answers limited past the limit, per heartbeat, and lets pings through again as the minute slides", () => {
    const pings = new HeartbeatPings(3);
    for (let i = 0; i < 3; i++) expect(pings.take("backup", T + i)).toEqual({ limited: false });
    const limited = pings.take("backup", T + 10);
    expect(limited).toMatchObject({ limited: true, retryAfterMs: 60_000 - 10 });
    expect(pings.take("report", T + 10)).toEqual({ limited: false });
    expect(pings.take("backup", T + 60_000)).toEqual({ limited: false });
  });

  it("still stamps a limited heartbeat once a second, so it never reads older than its last ping by more", () => {
    const pings = new HeartbeatPings(1);
    expect(pings.take("backup", T)).toEqual({ limited: false });
    expect(pings.take("backup", T + 500)).toMatchObject({ limited: true, stamp: false });
    expect(pings.take("backup", T + 1_000)).toMatchObject({ limited: true, stamp: true });
    expect(pings.take("backup", T + 1_200)).toMatchObject({ limited: true, stamp: false });
    expect(pings.take("backup", T + 2_000)).toMatchObject({ limited: true, stamp: true });
    // A clock set back: the next ping is stamped, not held back until the old time comes round.
    expect(pings.take("backup", T - 5_000)).toMatchObject({ stamp: true });
  });
});
