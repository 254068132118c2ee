import { describe, expect, it } from "vitest";
import { monitorSpec } from "../../test/runtime/support/manifest.js";
import type { LabeledObservation } from "./observe.js";
import { mergeLocations } from "./quorum.js";

const monitor = monitorSpec({ id: "geo", name: "Geo", locations: ["ap-south", "eu-west", "us-east"], quorum: 2 });
const seen = (ok: boolean, message: string): LabeledObservation[] => [
  {
    labels: {},
    result: { ok, value: null, message, labels: {}, details: {}, durationMs: 5 },
    firing: !ok,
    observation: ok ? { kind: "ok", value: null, summary: `Geo: ${message}`, details: {} } : { kind: "failing", value: null, summary: `Geo: ${message}`, details: {} },
  },
];

describe("quorum across locations", () => {
  it("fails a label set when at least the quorum of locations sees it failing, saying where and what each saw", () => {
    const [merged] = mergeLocations(monitor, { "eu-west": seen(false, "status 500"), "us-east": seen(false, "timeout"), "ap-south": seen(true, "ok") }, 2);
    expect(merged!.observation).toMatchObject({ kind: "failing", summary: "Geo: status 500 — failing from eu-west, us-east (2 of 3, quorum 2)" });
    expect(merged!.observation.kind === "failing" && merged!.observation.details.locations).toEqual({
      quorum: 2,
      failing: ["eu-west", "us-east"],
      saw: { "ap-south": "ok: ok", "eu-west": "failing: status 500", "us-east": "failing: timeout" },
    });
  });

  it("stays ok below the quorum, and counts a location that did not report as not failing", () => {
    const [merged] = mergeLocations(monitor, { "eu-west": seen(false, "status 500"), "ap-south": seen(true, "ok") }, 2);
    expect(merged!.observation.kind).toBe("ok");
    expect(merged!.firing).toBe(false);
    expect(merged!.result.details.locations).toMatchObject({ failing: ["eu-west"], notReported: ["us-east"] });
  });
});

describe("quorum with locations that could not tell", () => {
  const unknown = (message: string): LabeledObservation[] => [
    {
      labels: {},
      result: { ok: false, value: null, message: `check error: ${message}`, labels: {}, details: { error: message }, durationMs: 5 },
      firing: null,
      observation: { kind: "unknown", reason: message },
    },
  ];

  it("is unknown (the alert stays as it is) when the locations that could not tell could have made the quorum", () => {
    // A firing alert must not resolve because two locations timed out while the third still sees it failing.
    const [merged] = mergeLocations(monitor, { "eu-west": seen(false, "status 500"), "us-east": unknown("timeout"), "ap-south": unknown("timeout") }, 2);
    expect(merged!.observation.kind).toBe("unknown");
    const [mixed] = mergeLocations(monitor, { "eu-west": seen(false, "status 500"), "us-east": unknown("timeout"), "ap-south": seen(true, "ok") }, 2);
    expect(mixed!.observation.kind).toBe("unknown");
  });

  it("stays ok when the quorum could not be met even if every location that could not tell were failing", () => {
    const [merged] = mergeLocations(monitor, { "eu-west": seen(true, "ok"), "us-east": unknown("timeout"), "ap-south": seen(true, "ok") }, 2);
    expect(merged!.observation.kind).toBe("ok");
    expect(merged!.firing).toBe(false);
  });
});
