import { describe, expect, it } from "vitest";
import type { CheckSpecOf } from "../../../sdk/manifest/schema.js";
import { checkContext } from "../../../test/support/check-context.js";
import { InMemoryInboundEvents } from "../inbound-memory.js";
import { runHeartbeatCheck } from "./heartbeat-check.js";

const spec: CheckSpecOf<"heartbeat"> = { kind: "heartbeat", every: "5m", grace: "1m", token: null };
const startedAt = new Date("2026-03-01T10:00:00Z");
const at = (iso: string): Date => new Date(`2026-03-01T${iso}Z`);

function ctxAt(now: Date, lastPing: Date | null) {
  const inbound = new InMemoryInboundEvents();
  if (lastPing) inbound.recordHeartbeat("nightly-backup", lastPing.getTime());
  return checkContext({ now, startedAt, monitorId: "nightly-backup", inbound });
}

describe("heartbeat check", () => {
  it("is ok while the last ping is within every + grace, and says when it came", async () => {
    const [result] = await runHeartbeatCheck(spec, ctxAt(at("10:36:00"), at("10:30:00")));
    expect(result!.ok).toBe(true);
    expect(result!.value).toBe(6 * 60_000);
    expect(result!.message).toBe("last ping at 2026-03-01T10:30:00.000Z, 6m ago");
  });

  it("fails once the last ping is older than every + grace", async () => {
    const [result] = await runHeartbeatCheck(spec, ctxAt(at("10:36:01"), at("10:30:00")));
    expect(result!.ok).toBe(false);
    expect(result!.message).toContain("last ping at 2026-03-01T10:30:00.000Z");
    expect(result!.message).toContain("expected every 5m + 1m grace");
  });

  it("with no ping yet, is ok until every + grace after start-up, then fails", async () => {
    const [fresh] = await runHeartbeatCheck(spec, ctxAt(at("10:06:00"), null));
    expect(fresh!.ok).toBe(true);
    expect(fresh!.message).toContain("no ping yet");
    const [late] = await runHeartbeatCheck(spec, ctxAt(at("10:06:01"), null));
    expect(late!.ok).toBe(false);
    expect(late!.message).toContain("no ping since start-up at 2026-03-01T10:00:00.000Z");
  });

  it("fails on a last ping stamped further after the tick than the heartbeat's window: its clock ran ahead, and its age is not known", async () => {
    // Stamped while the runtime's clock ran a day ahead; the clock was set right, and the job has not pinged since.
    const [result] = await runHeartbeatCheck(spec, ctxAt(at("10:36:00"), new Date("2026-03-02T10:30:00Z")));
    expect(result!.ok).toBe(false);
    expect(result!.value).toBeNull();
    expect(result!.message).toBe(
      "last ping stamped 2026-03-02T10:30:00.000Z, 23.9h after this check: the clock that stamped it ran ahead, so how old it is is not known; the next ping sets it right",
    );
    // A ping stamped a little after the tick (a tick that ran late) is fresh.
    const [late] = await runHeartbeatCheck(spec, ctxAt(at("10:36:00"), at("10:40:00")));
    expect(late!).toMatchObject({ ok: true, value: 0 });
  });

  it("uses the tick's time, not the wall clock", async () => {
    const [result] = await runHeartbeatCheck(spec, ctxAt(new Date("2030-01-01T00:00:00Z"), at("10:30:00")));
    expect(result!.ok).toBe(false);
  });
});
