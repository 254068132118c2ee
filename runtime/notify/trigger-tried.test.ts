import { describe, expect, it } from "vitest";
import { UNREADABLE_INTENT, type DeliveryRecord } from "./delivery-queue.js";
import { triggerMayHaveReached, triggerPending } from "./trigger-tried.js";

const delivery = (fields: Partial<DeliveryRecord>): DeliveryRecord => ({
  id: 1,
  intentId: "wk-api:1",
  destination: "service:payments",
  dedupKey: "wk-api",
  type: "trigger",
  status: "pending",
  attempts: 1,
  nextAttemptAt: 0,
  sentAt: null,
  lastError: null,
  vendorStatus: null,
  vendorAnswer: null,
  ...fields,
});

describe("where a trigger that was not recorded as sent may still have opened an incident", () => {
  it("owes a resolve where an attempt went unanswered (a timeout, a kill, a stop mid-request) or got a 5xx", () => {
    expect(triggerMayHaveReached([delivery({ lastError: "timed out" })], "service:payments")).toBe(true);
    expect(triggerMayHaveReached([delivery({ status: "failed", vendorStatus: 502 })], "service:payments")).toBe(true);
  });

  it("owes none where the vendor refused the last attempt (4xx), nothing was attempted, or the row was set aside unread", () => {
    expect(triggerMayHaveReached([delivery({ status: "failed", vendorStatus: 400, lastError: "Invalid routing key" })], "service:payments")).toBe(false);
    expect(triggerMayHaveReached([delivery({ vendorStatus: 429 })], "service:payments")).toBe(false);
    expect(triggerMayHaveReached([delivery({ attempts: 0 })], "service:payments")).toBe(false);
    expect(triggerMayHaveReached([delivery({ status: "failed", lastError: `${UNREADABLE_INTENT} (not JSON)` })], "service:payments")).toBe(false);
  });

  it("owes none after a resolve was sent there, and none at another destination", () => {
    const resolved = delivery({ id: 2, type: "resolve", status: "sent", sentAt: 1, attempts: 1 });
    expect(triggerMayHaveReached([delivery({}), resolved], "service:payments")).toBe(false);
    expect(triggerMayHaveReached([delivery({})], "channel:slack")).toBe(false);
  });

  it("counts a trigger still waiting to be sent there, whatever its attempts, as one a resolve must wait behind", () => {
    expect(triggerPending([delivery({ attempts: 0 })], "service:payments")).toBe(true);
    expect(triggerPending([delivery({ vendorStatus: 429 })], "service:payments")).toBe(true);
    expect(triggerPending([delivery({ status: "skipped" })], "service:payments")).toBe(false);
    expect(triggerPending([delivery({ type: "resolve" })], "service:payments")).toBe(false);
    expect(triggerPending([delivery({})], "channel:slack")).toBe(false);
  });
});
