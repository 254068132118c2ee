import { describe, expect, it } from "vitest";
import { layerSpec, manifestOf, monitorSpec, policySpec, scheduleSpec, serviceSpec, slackSpec, userSpec } from "../../test/support/oncall-manifest.js";
import { oncallDirectory } from "../oncall/directory.js";
import { renderJson, renderMarkdown, renderText, type SimulationHeading } from "./render.js";
import { simulate, type SimulationManifest } from "./simulate.js";

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | null | undefined) => (t == null ? t : new Date(t).toISOString());

// Daily rotation, hand-off 09:00 Berlin; turn k (from Monday 2 March 2026): even Priya, odd Marco.
const primary = scheduleSpec("primary", "Europe/Berlin", [layerSpec({ name: "Daily", start: "2026-03-02T09:00:00", users: ["priya", "marco"] })]);
const office = scheduleSpec("office", "Europe/Berlin", [
  layerSpec({
    start: "2026-03-02T09:00:00",
    rotationTurnLength: "1w",
    users: ["ana"],
    restrictions: [1, 2, 3, 4, 5].map((day) => ({ type: "weekly_restriction" as const, startTimeOfDay: "09:00:00", duration: "8h", startDayOfWeek: day })),
  }),
]);
// Checked every minute; two failures in a row make it pending; five more minutes fire it.
const checkoutErrors = monitorSpec({ id: "checkout-errors", failureThreshold: 2, for: "5m", service: "checkout", channels: ["payments-slack"] });

function project(extra: Partial<Parameters<typeof manifestOf>[0]> = {}): SimulationManifest {
  return manifestOf({
    users: [userSpec("priya", "Priya Raman"), userSpec("marco", "Marco Rossi"), userSpec("helena", "Helena Fischer"), userSpec("ana", "Ana Lima")],
    schedules: [primary, office],
    escalationPolicies: [policySpec("checkout-ep", 1, [["15m", ["schedule:primary"]], ["10m", ["helena"]]]), policySpec("office-ep", 0, [["30m", ["schedule:office"]]])],
    services: [serviceSpec("checkout", "checkout-ep"), serviceSpec("office-desk", "office-ep"), serviceSpec("reports", "checkout-ep", "severity_based")],
    monitors: [checkoutErrors],
    channels: [slackSpec("payments-slack", "#payments")],
    ...extra,
  });
}

const steps = (sim: ReturnType<typeof simulate>, i = 0) =>
  sim.incidents[i]!.escalation.steps.map((s) => `${iso(s.at)} pass ${s.pass + 1} rule ${s.rule + 1}: ${s.people.join(",") || "nobody"}`);

describe("wk simulate: who is paged, when (times computed by hand)", () => {
  it("pages Marco, then Helena, then Priya after the 09:00 hand-off during the incident", () => {
    // Fails from 08:31:30 Berlin (07:31:30Z). Ticks on whole minutes (no spread): 07:32 fails
    // (1 of 2), 07:33 fails (2 of 2) and the alert is pending; it fires at the first tick 5 min
    // later, 07:38Z = 08:38 Berlin. Turn 7 (9 March 09:00 to 10 March 09:00) is Marco's.
    const sim = simulate(project(), { target: { monitor: "checkout-errors" }, at: at("2026-03-10T08:31:30+01:00"), untilAckMs: null, spreadMs: 0 });
    expect(sim.alert!.failingChecks.map(iso)).toEqual(["2026-03-10T07:32:00.000Z", "2026-03-10T07:33:00.000Z"]);
    expect(iso(sim.alert!.pendingAt)).toBe("2026-03-10T07:33:00.000Z");
    expect(iso(sim.alert!.firedAt)).toBe("2026-03-10T07:38:00.000Z");
    expect(sim.channels.map((c) => [c.id, iso(c.at)])).toEqual([["payments-slack", "2026-03-10T07:38:00.000Z"]]);
    expect(sim.incidents.map((i) => [i.service, i.escalationPolicy, i.urgency])).toEqual([["checkout", "checkout-ep", "high"]]);
    // 15 min on Marco (to 08:53), 10 on Helena (to 09:03), then pass 2: at 09:03 Berlin turn 8 is Priya's.
    expect(steps(sim)).toEqual([
      "2026-03-10T07:38:00.000Z pass 1 rule 1: marco",
      "2026-03-10T07:53:00.000Z pass 1 rule 2: helena",
      "2026-03-10T08:03:00.000Z pass 2 rule 1: priya",
      "2026-03-10T08:18:00.000Z pass 2 rule 2: helena",
    ]);
    expect(iso(sim.incidents[0]!.escalation.exhaustedAt)).toBe("2026-03-10T08:28:00.000Z");
    expect(sim.nobodyReached).toBe(false);
  });

  it("stops the timeline at --until-ack", () => {
    // Acknowledged 30 min after firing: 08:08Z, before pass 2 rule 2 (08:18Z).
    const sim = simulate(project(), { target: { monitor: "checkout-errors" }, at: at("2026-03-10T08:31:30+01:00"), untilAckMs: 30 * 60_000, spreadMs: 0 });
    expect(iso(sim.acknowledgedAt)).toBe("2026-03-10T08:08:00.000Z");
    expect(steps(sim)).toHaveLength(3);
    expect(sim.incidents[0]!.escalation.exhaustedAt).toBeNull();
  });

  it("follows Berlin's spring-forward: the 09:00 summer-time hand-off comes at 07:00Z, not 08:00Z", () => {
    // Sunday 29 March 2026, 08:40 CEST = 06:40Z, on a tick: a tick at the very instant the failure
    // starts sees it. Ticks 06:40Z (1 of 2), 06:41Z (pending), fires 06:46Z (08:46 CEST). Turn 26
    // (Sat 28 March 09:00 CET to Sun 09:00 CEST = 07:00Z) is Priya's; Helena at 07:01Z; the loop
    // returns to the schedule at 07:11Z (09:11 CEST): turn 27, Marco.
    const sim = simulate(project(), { target: { monitor: "checkout-errors" }, at: at("2026-03-29T08:40:00+02:00"), untilAckMs: null, spreadMs: 0 });
    expect(iso(sim.alert!.firedAt)).toBe("2026-03-29T06:46:00.000Z");
    expect(steps(sim)).toEqual([
      "2026-03-29T06:46:00.000Z pass 1 rule 1: priya",
      "2026-03-29T07:01:00.000Z pass 1 rule 2: helena",
      "2026-03-29T07:11:00.000Z pass 2 rule 1: marco",
      "2026-03-29T07:26:00.000Z pass 2 rule 2: helena",
    ]);
    const text = renderText(sim, oncallDirectory(project()), heading(at("2026-03-29T08:40:00+02:00"), "Europe/Berlin"));
    expect(text).toContain("2026-03-29 08:46 +02:00");
    expect(text).toMatch(/Priya Raman \(priya\) via schedule primary \(Daily, on call until 2026-03-29 09:00 \+02:00\)/);
  });

  it("shows the jump across 02:00 on the night Berlin springs forward", () => {
    // Fails 01:50:30 CET (00:50:30Z); ticks 00:51Z and 00:52Z, pending 00:52Z; fires 00:57Z =
    // 01:57 CET. Helena 15 min later is 01:12Z, which Berlin calls 03:12 CEST: the clock skipped 02:00-03:00.
    const sim = simulate(project(), { target: { monitor: "checkout-errors" }, at: at("2026-03-29T01:50:30+01:00"), untilAckMs: null, spreadMs: 0 });
    const text = renderText(sim, oncallDirectory(project()), heading(at("2026-03-29T01:50:30+01:00"), "Europe/Berlin"));
    expect(text).toMatch(/2026-03-29 01:57 \+01:00 .*rule 1\/2, pass 1\/2: notifies Priya Raman/);
    expect(text).toMatch(/2026-03-29 03:12 \+02:00 .*rule 2\/2, pass 1\/2: notifies Helena Fischer/);
  });

  it("says loudly when nobody is on call in any rule", () => {
    // Saturday 14 March 12:00 Berlin: the office schedule is off.
    const sim = simulate(project(), { target: { service: "office-desk" }, at: at("2026-03-14T12:00:00+01:00"), untilAckMs: null, spreadMs: 0 });
    expect(sim.incidents[0]!.escalation.nobodyReached).toBe(true);
    expect(sim.nobodyReached).toBe(true);
    const text = renderText(sim, oncallDirectory(project()), heading(at("2026-03-14T12:00:00+01:00"), "Europe/Berlin", null, "office-desk"));
    expect(text).toMatch(/!! NOBODY IS PAGED: no rule of office-ep has anyone on call at 2026-03-14 12:00 \+01:00/);
    expect(text).toMatch(/!! rule 1\/1: nobody on call in schedule office/);
  });

  it("gives a warning alert on a severity-based service low urgency: no escalation", () => {
    const warn = monitorSpec({ id: "slow", severity: "warning", service: "reports" });
    const sim = simulate(project({ monitors: [warn] }), { target: { monitor: "slow" }, at: at("2026-03-10T07:31:30Z"), untilAckMs: null, spreadMs: 0 });
    expect(sim.incidents[0]!.urgency).toBe("low");
    expect(steps(sim)).toEqual(["2026-03-10T07:32:00.000Z pass 1 rule 1: marco"]);
    expect(sim.incidents[0]!.escalation.steps[0]!.escalatesAt).toBeNull();
  });

  it("pages at the first reminder after a maintenance window ends", () => {
    // Fires at 07:38Z inside the window (to 07:45Z); the reminder every 10 min comes at 07:48Z.
    const m = monitorSpec({ ...checkoutErrors, repeatEvery: "10m" });
    const window = {
      id: "db-upgrade",
      kind: "maintenance" as const,
      start: "2026-03-10T07:30:00Z",
      end: "2026-03-10T07:45:00Z",
      comment: "",
      matchers: { monitors: [], services: ["checkout"], labels: {} },
      source: "policies/maintenance.ts:1",
    };
    const sim = simulate(project({ monitors: [m], silences: [window] }), { target: { monitor: "checkout-errors" }, at: at("2026-03-10T08:31:30+01:00"), untilAckMs: null, spreadMs: 0 });
    expect(sim.mutedBy.map((s) => s.id)).toEqual(["db-upgrade"]);
    expect(iso(sim.notifiedAt)).toBe("2026-03-10T07:48:00.000Z");
    expect(iso(sim.incidents[0]!.openedAt)).toBe("2026-03-10T07:48:00.000Z");
    expect(sim.channels[0]!.reminders.map(iso).slice(0, 2)).toEqual(["2026-03-10T07:58:00.000Z", "2026-03-10T08:08:00.000Z"]);
  });

  it("fires a heartbeat once the last ping is older than every + grace", () => {
    // Last ping 10:00:00Z, every 5m + 1m grace: the 10:06 tick still sees an age of exactly 6m
    // (allowed); the 10:07 tick fails and, with no `for`, fires.
    const hb = monitorSpec({ id: "nightly", check: { kind: "heartbeat", every: "5m", grace: "1m", token: null }, service: "checkout" });
    const sim = simulate(project({ monitors: [hb] }), { target: { monitor: "nightly" }, at: at("2026-03-10T10:00:00Z"), untilAckMs: null, spreadMs: 0 });
    expect(iso(sim.alert!.firedAt)).toBe("2026-03-10T10:07:00.000Z");
  });

  it("pages an emergency at the press, and reports a monitor that pages no service", () => {
    const button = monitorSpec({ id: "button", check: { kind: "manual", password: { secret: "P" }, title: "Help" }, channels: ["payments-slack"] });
    const sim = simulate(project({ monitors: [button] }), { target: { monitor: "button" }, at: at("2026-03-10T10:00:00Z"), untilAckMs: null, spreadMs: 0 });
    expect(iso(sim.alert!.firedAt)).toBe("2026-03-10T10:00:00.000Z");
    expect(sim.incidents).toEqual([]);
    expect(sim.warnings.join("\n")).toMatch(/pages no PagerDuty service of this project/);
    expect(sim.nobodyReached).toBe(false); // Slack still hears of it
  });

  it("opens no incident on a service in a PagerDuty maintenance window, even for an emergency press", () => {
    // PagerDuty triggers no new incident on a service under maintenance, whatever the runtime sends.
    const window = {
      id: "db-upgrade",
      kind: "maintenance" as const,
      start: "2026-03-10T09:30:00Z",
      end: "2026-03-10T11:00:00Z",
      comment: "",
      matchers: { monitors: [], services: ["checkout"], labels: {} },
      source: "policies/maintenance.ts:1",
    };
    const button = monitorSpec({ id: "button", check: { kind: "manual", password: { secret: "P" }, title: "Help" }, service: "checkout" });
    const sim = simulate(project({ monitors: [button], silences: [window] }), { target: { monitor: "button" }, at: at("2026-03-10T10:00:00Z"), untilAckMs: null, spreadMs: 0 });
    expect(sim.incidents).toEqual([]);
    expect(sim.warnings.join("\n")).toMatch(/maintenance window db-upgrade/);
    expect(sim.nobodyReached).toBe(true);
    const direct = simulate(project({ silences: [window] }), { target: { service: "checkout" }, at: at("2026-03-10T10:00:00Z"), untilAckMs: null, spreadMs: 0 });
    expect(direct.incidents).toEqual([]);
    expect(direct.nobodyReached).toBe(true);
    const after = simulate(project({ silences: [window] }), { target: { service: "checkout" }, at: at("2026-03-10T11:00:00Z"), untilAckMs: null, spreadMs: 0 });
    expect(after.incidents).toHaveLength(1);
  });

  it("stops escalating when PagerDuty resolves the incident on its own (autoResolveTimeout)", () => {
    // Fires 07:38Z; Marco 15 min, Helena 10 min; the resolve after 20 min (07:58Z) comes before pass 2 (08:03Z).
    const services = [{ ...serviceSpec("checkout", "checkout-ep"), autoResolveTimeout: "20m" }];
    const sim = simulate(project({ services }), { target: { monitor: "checkout-errors" }, at: at("2026-03-10T08:31:30+01:00"), untilAckMs: null, spreadMs: 0 });
    expect(steps(sim)).toEqual(["2026-03-10T07:38:00.000Z pass 1 rule 1: marco", "2026-03-10T07:53:00.000Z pass 1 rule 2: helena"]);
    expect(iso(sim.incidents[0]!.resolvesAt)).toBe("2026-03-10T07:58:00.000Z");
    expect(sim.incidents[0]!.escalation.exhaustedAt).toBeNull();
    const text = renderText(sim, oncallDirectory(project({ services })), heading(at("2026-03-10T08:31:30+01:00"), "Europe/Berlin"));
    expect(text).toMatch(/resolves the incident on its own/);
  });

  it("escapes names in Markdown and control characters in text: a name cannot break the table or the terminal", () => {
    const hostile = project({ users: [userSpec("priya", "Priya | <img src=x>\n| injected |"), userSpec("marco", "Marco\u001b[2J"), userSpec("helena", "Helena Fischer")] });
    const sim = simulate(hostile, { target: { monitor: "checkout-errors" }, at: at("2026-03-10T08:31:30+01:00"), untilAckMs: null, spreadMs: 0 });
    const md = renderMarkdown(sim, oncallDirectory(hostile), heading(at("2026-03-10T08:31:30+01:00"), "Europe/Berlin"));
    expect(md).toContain("Priya \\| &lt;img src=x&gt;?\\| injected \\|");
    expect(md).not.toContain("<img");
    const text = renderText(sim, oncallDirectory(hostile), heading(at("2026-03-10T08:31:30+01:00"), "Europe/Berlin"));
    expect(text).not.toContain("\u001b");
    expect(text).toContain("Marco?[2J (marco)");
  });

  it("writes a stable JSON document", () => {
    const sim = simulate(project(), { target: { monitor: "checkout-errors" }, at: at("2026-03-10T08:31:30+01:00"), untilAckMs: 30 * 60_000, spreadMs: 0 });
    const doc = JSON.parse(renderJson(sim, oncallDirectory(project()), heading(at("2026-03-10T08:31:30+01:00"), "Europe/Berlin", "30m")));
    expect(Object.keys(doc)).toEqual(["apiVersion", "request", "alert", "notifiedAt", "acknowledgedAt", "mutedBy", "channels", "incidents", "outside", "nobodyReached", "warnings", "timeline"]);
    expect(doc.apiVersion).toBe("watchkeeper.dev/simulate/v1");
    expect(doc.alert.firedAt).toBe("2026-03-10T07:38:00Z");
    expect(doc.incidents[0].steps[2]).toMatchObject({ pass: 2, rule: 1, at: "2026-03-10T08:03:00Z", people: ["priya"], targets: [{ type: "schedule", id: "primary", user: "priya", layer: "Daily" }] });
    expect(doc.timeline.at(-1)).toMatchObject({ at: "2026-03-10T08:08:00Z", kind: "acknowledged" });
  });
});

function heading(t: number, timeZone: string, untilAck: string | null = null, service: string | null = null): SimulationHeading {
  return { monitor: service ? null : "checkout-errors", service, at: t, untilAck, spread: "0s", timeZone };
}
