import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../cli/errors.js";
import { ensureBuild, wk } from "../gitops/cli-process.js";

// Times below are computed by hand from test/simulate/fixtures/paging: a daily rotation handing
// off at 09:00 Berlin from Monday 2 March 2026 (even turns Priya, odd turns Marco), then Helena,
// repeated once; a monitor checked every minute, pending after 2 failures, firing 5 min later.
const PROJECT = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/paging");
const run = (...args: string[]) => wk([...args, "--project", PROJECT], { timeoutMs: 120_000 });

beforeAll(() => ensureBuild());

// Each command compiles the fixture (type check included): generous limits for a busy CI machine.
const SLOW = { timeout: 180_000 };

describe("wk simulate", SLOW, () => {
  it("prints the timeline: a hand-off at 09:00 during the incident pages Priya on the second pass", async () => {
    const r = await run("simulate", "--monitor", "checkout-errors", "--at", "2026-03-10T08:31:30 Europe/Berlin", "--spread", "0s");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const line = (time: string) => r.stdout.split("\n").filter((l) => l.trimStart().startsWith(time)).join("\n");
    expect(line("2026-03-10 08:33 +01:00")).toMatch(/alert pending: must keep failing for 5m/);
    expect(line("2026-03-10 08:38 +01:00")).toMatch(/slack payments-slack → #payments: alert sent/);
    expect(line("2026-03-10 08:38 +01:00")).toMatch(/rule 1\/2, pass 1\/2: notifies Marco Rossi \(marco-rossi\) via schedule primary/);
    expect(line("2026-03-10 08:53 +01:00")).toMatch(/rule 2\/2, pass 1\/2: notifies Helena Fischer/);
    expect(line("2026-03-10 09:03 +01:00")).toMatch(/rule 1\/2, pass 2\/2: notifies Priya Raman \(priya-raman\)/);
    expect(line("2026-03-10 09:28 +01:00")).toMatch(/escalation ends/);
  });

  it("writes the documented JSON, stopped at --until-ack", async () => {
    const r = await run("simulate", "--monitor", "checkout-errors", "--at", "2026-03-10T07:31:30Z", "--until-ack", "30m", "--spread", "0s", "--format", "json");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const doc = JSON.parse(r.stdout);
    expect(doc.request).toEqual({ monitor: "checkout-errors", service: null, at: "2026-03-10T07:31:30Z", untilAck: "30m", spread: "0s", timeZone: "Europe/Berlin" });
    expect(doc.alert.firedAt).toBe("2026-03-10T07:38:00Z");
    expect(doc.acknowledgedAt).toBe("2026-03-10T08:08:00Z");
    expect(doc.incidents[0].steps.map((s: { at: string; people: string[] }) => `${s.at} ${s.people.join(",")}`)).toEqual([
      "2026-03-10T07:38:00Z marco-rossi",
      "2026-03-10T07:53:00Z helena-fischer",
      "2026-03-10T08:03:00Z priya-raman",
    ]);
  });

  it("follows the spring-forward night: the escalation 15 minutes after 01:57 CET is at 03:12 CEST", async () => {
    const r = await run("simulate", "--monitor", "checkout-errors", "--at", "2026-03-29T01:50:30+01:00", "--spread", "0s", "--tz", "Europe/Berlin");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/2026-03-29 01:57 \+01:00 .*notifies Priya Raman/);
    expect(r.stdout).toMatch(/2026-03-29 03:12 \+02:00 .*notifies Helena Fischer/);
  });

  it("exits 1 and says NOBODY when no rule has anyone on call, in Markdown too", async () => {
    // Saturday 14 March 2026, 12:00 Berlin: the office schedule is off.
    const r = await run("simulate", "--service", "office-desk", "--at", "2026-03-14T12:00+01:00", "--format", "markdown");
    expect(r.code).toBe(EXIT.findings);
    expect(r.stdout).toContain("| Time | After | What happens |");
    expect(r.stdout).toMatch(/\*\*NOBODY IS PAGED: no rule of office-ep has anyone on call at 2026-03-14 12:00 \+01:00\*\*/);
  });

  it("refuses an unknown monitor with the near ids, exit 2", async () => {
    const r = await run("simulate", "--monitor", "checkout-eror", "--at", "now");
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error: unknown monitor "checkout-eror"\nhint: did you mean checkout-errors\?\n$/);
  });

  it.each([
    [["--monitor", "checkout-errors", "--at", "yesterday"], /^error: --at "yesterday" is not a time\n/],
    [["--monitor", "checkout-errors", "--at", "2026-03-10T08:00"], /^error: --at "2026-03-10T08:00": a wall-clock time needs an offset or a time zone\n/],
    [["--monitor", "checkout-errors", "--service", "checkout", "--at", "now"], /^error: --monitor and --service cannot be used together\n/],
    [["--at", "now"], /^error: name what fails: --monitor ID or --service ID\n/],
    [["--monitor", "checkout-errors"], /^error: Missing required argument: at\n/],
    [["--monitor", "checkout-errors", "--at", "now", "--until-ack", "soon"], /^error: --until-ack "soon" is not a duration\n/],
  ])("refuses bad input before compiling, exit 2: %j", async (args, message) => {
    const r = await run("simulate", ...args);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
  });
});

describe("wk oncall", SLOW, () => {
  let dir = "";
  beforeAll(async () => void (dir = await mkdtemp(path.join(tmpdir(), "wk-ics-"))));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("says who each schedule has on call at an instant, with the shift's bounds in the schedule's zone", async () => {
    const r = await run("oncall", "--at", "2026-03-10T08:38 Europe/Berlin");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/primary\s+Marco Rossi \(marco-rossi\)\s+Daily\s+2026-03-09 09:00 \+01:00 to 2026-03-10 09:00 \+01:00/);
    // Tuesday 08:38: office hours begin at 09:00.
    expect(r.stdout).toMatch(/office\s+NOBODY on call/);
  });

  it("answers per service, rule by rule, as JSON", async () => {
    const r = await run("oncall", "--service", "checkout", "--at", "2026-03-10T08:03:00Z", "--format", "json");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    const doc = JSON.parse(r.stdout);
    expect(doc.services[0].rules.map((x: { targets: Array<{ user: string }> }) => x.targets.map((t) => t.user))).toEqual([["priya-raman"], ["helena-fischer"]]);
    expect(doc.schedules).toEqual([{ id: "primary", timeZone: "Europe/Berlin", user: "priya-raman", layer: "Daily", since: "2026-03-10T08:00:00Z", until: "2026-03-11T08:00:00Z" }]);
  });

  it("writes RFC 5545 feeds per schedule and per person that parse back with the shifts, across the DST change", async () => {
    // Seven days (168 h) from Wednesday 25 March 09:00 CET (08:00Z): turn 23 (Marco) first, then
    // one turn a day. Turn 26 (Priya) ends at Sunday's 09:00 CEST, 07:00Z: 23 hours. The window
    // ends at 08:00Z on 1 April, an hour into turn 30 (Priya), so that shift is cut to one hour.
    const r = await run("oncall", "--schedule", "primary", "--at", "2026-03-25T09:00 Europe/Berlin", "--ics", dir, "--window", "7d");
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect((await readdir(dir)).sort()).toEqual(["person-marco-rossi.ics", "person-priya-raman.ics", "schedule-primary.ics"]);
    const events = async (file: string) => {
      const calendar = new ICAL.Component(ICAL.parse(await readFile(path.join(dir, file), "utf8")));
      return calendar.getAllSubcomponents("vevent").map((v) => {
        const e = new ICAL.Event(v);
        return `${e.startDate.toJSDate().toISOString()} ${e.endDate.toJSDate().toISOString()} ${e.summary}`;
      });
    };
    const schedule = await events("schedule-primary.ics");
    expect(schedule).toEqual([
      "2026-03-25T08:00:00.000Z 2026-03-26T08:00:00.000Z Marco Rossi (marco-rossi) on call",
      "2026-03-26T08:00:00.000Z 2026-03-27T08:00:00.000Z Priya Raman (priya-raman) on call",
      "2026-03-27T08:00:00.000Z 2026-03-28T08:00:00.000Z Marco Rossi (marco-rossi) on call",
      "2026-03-28T08:00:00.000Z 2026-03-29T07:00:00.000Z Priya Raman (priya-raman) on call",
      "2026-03-29T07:00:00.000Z 2026-03-30T07:00:00.000Z Marco Rossi (marco-rossi) on call",
      "2026-03-30T07:00:00.000Z 2026-03-31T07:00:00.000Z Priya Raman (priya-raman) on call",
      "2026-03-31T07:00:00.000Z 2026-04-01T07:00:00.000Z Marco Rossi (marco-rossi) on call",
      "2026-04-01T07:00:00.000Z 2026-04-01T08:00:00.000Z Priya Raman (priya-raman) on call",
    ]);
    const priya = await events("person-priya-raman.ics");
    expect(priya.every((e) => e.endsWith("On call: primary"))).toBe(true);
    expect(priya).toHaveLength(4);
  });

  it("refuses conflicting filters and unknown ids with a hint, exit 2", async () => {
    const both = await run("oncall", "--schedule", "primary", "--team", "web");
    expect(both.code).toBe(EXIT.usage);
    expect(both.stderr).toMatch(/^error: --schedule and --team cannot be used together\n/);
    const unknown = await run("oncall", "--schedule", "primery");
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toMatch(/^error: unknown schedule "primery"\nhint: did you mean primary\?/);
  });
});
