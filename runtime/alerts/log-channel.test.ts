import pino from "pino";
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../test/runtime/support/fake-clock.js";
import type { OutboxReader } from "./intent.js";
import { createLogChannel } from "./log-channel.js";

describe("the log channel", () => {
  it("logs a store that keeps failing once, then once a minute, not on every poll", async () => {
    const lines: Array<{ msg: string; notLogged?: number }> = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    const down: OutboxReader = {
      undispatched: async () => {
        throw new Error("Redis is down");
      },
      markDispatched: async () => undefined,
    } as unknown as OutboxReader;
    const channel = createLogChannel(down, logger, clock, 500);
    channel.start();
    await clock.advance(30_000);
    expect(lines.filter((l) => l.msg.startsWith("log channel could not drain"))).toHaveLength(1);
    await clock.advance(100_000);
    const drained = lines.filter((l) => l.msg.startsWith("log channel could not drain"));
    expect(drained).toHaveLength(2);
    expect(drained[1]!.notLogged).toBeGreaterThan(50);
    await channel.stop(1_000).catch(() => undefined);
  });
});
