import pino from "pino";
import { describe, expect, it } from "vitest";
import { LimitedWarnings } from "./limited-warnings.js";

describe("LimitedWarnings", () => {
  it("logs the first of each kind, then one line a minute that counts what it left out", () => {
    const lines: Array<{ msg: string; notLogged?: number; kind?: string }> = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let now = 1_000_000;
    const warnings = new LimitedWarnings(logger, () => now);
    for (let i = 0; i < 5; i++) warnings.warn("a", { kind: "a" }, "refused a");
    warnings.warn("b", { kind: "b" }, "refused b");
    expect(lines.map((l) => l.msg)).toEqual(["refused a", "refused b"]);
    now += 59_999;
    warnings.warn("a", { kind: "a" }, "refused a");
    expect(lines).toHaveLength(2);
    now += 1;
    warnings.warn("a", { kind: "a" }, "refused a");
    expect(lines[2]).toMatchObject({ kind: "a", notLogged: 5 });
    expect(lines[2]!.msg).toMatch(/^refused a \(5 more like it/);
    // A clock that stepped back starts a new minute rather than silencing the kind for an hour.
    now -= 3_600_000;
    warnings.warn("a", { kind: "a" }, "refused a");
    expect(lines).toHaveLength(4);
  });

  it("logs failures of the runtime's own parts at error level, limited the same way", () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const warnings = new LimitedWarnings(logger, () => 5);
    for (let i = 0; i < 100; i++) warnings.error("drain", {}, "could not drain");
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: "could not drain" })]);
  });
});
