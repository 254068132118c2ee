import type { MonitorCode } from "../../sdk/result.js";
import { InMemoryInboundEvents } from "../../runtime/checks/inbound-memory.js";
import type { CheckContext } from "../../runtime/checks/types.js";

/** A CheckContext for tests: fixed clock, secrets from a plain map, in-memory inbound events. */
export function checkContext(overrides: Partial<CheckContext> & { secrets?: Record<string, string> } = {}): CheckContext {
  const { secrets = {}, ...rest } = overrides;
  return {
    now: new Date("2026-03-01T12:00:00Z"),
    startedAt: new Date("2026-03-01T11:00:00Z"),
    monitorId: "test-monitor",
    signal: new AbortController().signal,
    secret: (name) => secrets[name],
    secretValues: () => Object.values(secrets),
    code: undefined as MonitorCode | undefined,
    inbound: new InMemoryInboundEvents(),
    ...rest,
  };
}
