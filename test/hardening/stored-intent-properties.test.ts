import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { NotificationIntent } from "../../runtime/alerts/intent.js";
import { parseStoredIntent } from "../../runtime/store/stored-intent.js";

// The outbox and the deliveries keep intents as JSON, in state.db and in Redis, where a hand edit
// or another tool can put anything. Reading one back must give exactly what the runtime wrote, and
// must never throw for what it did not write: a throw there held back every page after it.

const RUNS = Number(process.env.WK_PROPERTY_RUNS ?? 500);
const text = fc.string({ maxLength: 20 });
const id = fc.string({ minLength: 1, maxLength: 20 });
const time = fc.integer({ min: 0, max: 4_102_444_800_000 });

const intent: fc.Arbitrary<NotificationIntent> = fc.record(
  {
    id,
    type: fc.constantFrom("trigger", "remind", "resolve", "acknowledge"),
    monitorId: id,
    dedupKey: id,
    labels: fc.dictionary(text, text, { maxKeys: 4 }),
    severity: fc.constantFrom("critical", "error", "warning", "info"),
    summary: text,
    value: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    details: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    at: time,
    firedAt: fc.option(time, { nil: null }),
    acknowledgedBy: fc.option(text, { nil: null }),
  },
  { requiredKeys: ["id", "type", "monitorId", "dedupKey", "labels", "severity", "summary", "value", "details", "at", "firedAt"] },
);

describe("an intent read back from the store", () => {
  it("is the intent the runtime wrote, whatever its text", () => {
    fc.assert(
      fc.property(intent, (written) => {
        const json = JSON.stringify(written);
        const read = parseStoredIntent(json, { id: written.id, dedupKey: written.dedupKey });
        expect(read).toEqual({ kind: "intent", intent: JSON.parse(json) });
      }),
      { numRuns: RUNS },
    );
  });

  it("never throws on what the runtime did not write, and names what is wrong", () => {
    const anything = fc.oneof(fc.string(), fc.jsonValue().map((v) => JSON.stringify(v)), intent.chain((i) => fc.jsonValue().map((v) => JSON.stringify({ ...i, [Object.keys(i)[v === null ? 0 : 1]!]: v }))));
    fc.assert(
      fc.property(anything, fc.option(id), (json, expectedId) => {
        const read = parseStoredIntent(json, { id: expectedId });
        if (read.kind === "garbage") expect(read.problem).toMatch(/^its intent /);
        else expect(typeof read.intent.dedupKey).toBe("string");
      }),
      { numRuns: RUNS },
    );
  });
});
