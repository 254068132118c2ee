import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertKey, DEDUP_KEY_MAX } from "../../runtime/alerts/alert-key.js";

describe("dedup keys", () => {
  it("keep exactly the keys open incidents already have, so an upgrade neither re-pages nor orphans them", () => {
    // Values produced by the release before the length budget existed.
    expect(alertKey("payments-api-latency", {})).toBe("wk-payments-api-latency");
    expect(alertKey("node-load", { job: "node", instance: "db-1:9100" })).toBe("wk-node-load-f7750c2efa31d203");
    expect(alertKey("node-load", { instance: "db-1:9100", job: "node" })).toBe("wk-node-load-f7750c2efa31d203");
  });

  it("fit PagerDuty's 255 characters whatever the id and label set, and stay stable and distinct", () => {
    const labels = fc.dictionary(fc.string({ maxLength: 300 }), fc.string({ maxLength: 2000 }), { maxKeys: 20 });
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 1000 }), labels, (id, set) => {
        const key = alertKey(id, set);
        expect(key.length).toBeLessThanOrEqual(DEDUP_KEY_MAX);
        expect(alertKey(id, { ...set })).toBe(key);
      }),
      { numRuns: 300 },
    );
    const long = "a".repeat(400);
    expect(alertKey(long, { region: "eu" })).not.toBe(alertKey(long, { region: "us" }));
    expect(alertKey(long, {})).not.toBe(alertKey(`${long}b`, {}));
    expect(alertKey("a".repeat(63), { instance: "x".repeat(5000) }).length).toBeLessThanOrEqual(DEDUP_KEY_MAX);
  });
});
