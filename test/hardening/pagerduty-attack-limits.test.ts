import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileProject, type CompileResult, type Diagnostic } from "../../cli/compiler/index.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { pagerdutyTimeZone } from "../../infra/program/time-zones.js";
import { copyFixture, NOW } from "../compiler/support.js";
import { sampleManifest } from "../infra/sample-manifest.js";

/**
 * What a real PagerDuty (and the provider under @pulumi/pagerduty) refuses, written so the
 * compiler accepted it before: each one validated clean and failed `wk deploy` after the merge.
 * Every line below is one definition PagerDuty refuses; the good ones beside them must stay clean.
 */
const POLICIES = `import { contactMethod, escalationPolicy, schedule, service, team, user } from "watchkeeper";

export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com", timeZone: "Europe/Luxembourg" });
export const utc = user({ id: "utc", name: "Utc", email: "utc@example.com", timeZone: "UTC" });
export const noDomain = user({ id: "no-domain", name: "No Domain", email: "oncall@localhost" });
export const longName = user({ id: "long-name", name: "${"N".repeat(101)}", email: "long@example.com" });
export const existing = user({ id: "existing", name: "${"E".repeat(150)}", email: "existing@example.com", timeZone: "Europe/Luxembourg", existing: true });
export const phones = user({
  id: "phones",
  name: "Phones",
  email: "phones@example.com",
  contactMethods: [
    contactMethod.phone({ id: "de-trunk", countryCode: 49, number: "015123456789" }),
    contactMethod.sms({ id: "us-trunk", countryCode: 1, number: "12025550199" }),
    contactMethod.sms({ id: "mx-sms", countryCode: 52, number: "15512345678" }),
    contactMethod.phone({ id: "de-ok", countryCode: 49, number: "15123456789" }),
  ],
});

export const lux = schedule({
  id: "lux",
  timeZone: "Europe/Luxembourg",
  layers: [{ start: "2026-01-05T00:00:00Z", rotation: "1w", users: [ana], restrictions: [{ weekly: { day: "monday", start: "00:00", duration: "7d" } }] }],
});
export const plainUtc = schedule({ id: "plain-utc", timeZone: "UTC", layers: [{ start: "2026-01-05T00:00:00Z", rotation: "1w", users: [utc] }] });

export const slash = escalationPolicy({ id: "slash", name: "Payments / primary", rules: [{ delay: "10m", targets: [lux] }] });
export const ok = escalationPolicy({ id: "ok", name: "Payments primary", rules: [{ delay: "10m", targets: [plainUtc] }] });
export const red = team({ id: "red", name: "Red", members: [utc] });
export const blue = team({ id: "blue", name: "Blue", members: [utc] });
export const twoTeams = escalationPolicy({ id: "two-teams", name: "Two teams", teams: [red, blue], rules: [{ delay: "10m", targets: [plainUtc] }] });

export const trailing = service({ id: "trailing", name: "Checkout ", escalationPolicy: ok });
export const groupsForever = service({ id: "groups-forever", name: "Groups forever", escalationPolicy: ok, alertGrouping: { type: "time", timeout: "20s" } });
export const groupsTwoDays = service({ id: "groups-two-days", name: "Groups two days", escalationPolicy: ok, alertGrouping: { type: "time", timeout: "2d" } });
export const groupsHour = service({ id: "groups-hour", name: "Groups an hour", escalationPolicy: ok, alertGrouping: { type: "time", timeout: "1h" } });
export const crew = team({ id: "crew", name: "${"T".repeat(101)}", description: "${"d".repeat(1025)}", members: [ana] });
`;

let result: CompileResult;
let cleanup: () => Promise<void>;
let out: string;
beforeAll(async () => {
  const copy = await copyFixture("rule-pagerduty-limits");
  cleanup = copy.cleanup;
  await writeFile(path.join(copy.dir, "policies", "limits.ts"), POLICIES);
  out = await mkdtemp(path.join(tmpdir(), "wk-out-"));
  result = await compileProject({ projectDir: copy.dir, outDir: path.join(out, "watchkeeper"), now: NOW, typecheck: false });
}, 120_000);
afterAll(async () => {
  await cleanup?.();
  if (out) await rm(out, { recursive: true, force: true });
});

const found = (code: string, text: string): Diagnostic[] => result.diagnostics.filter((d) => d.code === code && d.message.includes(text));
const lineOf = (text: string) => POLICIES.split("\n").findIndex((l) => l.includes(text)) + 1;

describe("PagerDuty refuses it, so wk validate does, at the definition's line", () => {
  test("a schedule in an IANA zone PagerDuty has no name for is an error that suggests a zone with the same clock", () => {
    const [d] = found("pagerduty-limits", 'schedule "lux": time zone "Europe/Luxembourg" is not one PagerDuty accepts');
    expect(d).toMatchObject({ severity: "error", file: "policies/limits.ts", line: lineOf('id: "lux"') - 1 });
    expect(d!.hint).toMatch(/"Europe\/(Amsterdam|Berlin|Brussels|[A-Z][a-z]+)"/);
  });

  test("a created user's time zone is checked against PagerDuty's list; an existing user's is not sent, so not checked", () => {
    expect(found("pagerduty-limits", 'user "ana": time zone "Europe/Luxembourg"')).toHaveLength(1);
    expect(found("pagerduty-limits", 'user "existing"')).toHaveLength(0);
  });

  test('"UTC" stays valid: the program sends PagerDuty\'s name for it, Etc/UTC', () => {
    expect(result.diagnostics.filter((d) => d.message.includes('"UTC"'))).toEqual([]);
    expect(pagerdutyTimeZone("UTC")).toBe("Etc/UTC");
    expect(pagerdutyTimeZone("Europe/Kyiv")).toBe("Europe/Kiev");
    expect(pagerdutyTimeZone("Europe/Berlin")).toBe("Europe/Berlin");
    expect(pagerdutyTimeZone("Europe/Luxembourg")).toBeUndefined();
  });

  test("a weekly restriction of a whole week is refused (the provider allows at most a week minus a second)", () => {
    expect(found("pagerduty-limits", 'schedule "lux" layer 1: weekly restriction lasts 7d')).toHaveLength(1);
  });

  test("an escalation policy name with / is refused like a service name", () => {
    expect(found("pagerduty-limits", 'escalation policy "slash": name "Payments / primary" contains one of')).toHaveLength(1);
    expect(found("pagerduty-limits", 'escalation policy "ok"')).toHaveLength(0);
  });

  test("an escalation policy with two teams is refused instead of losing the second team at deploy", () => {
    expect(found("pagerduty-limits", 'escalation policy "two-teams" names 2 teams (red, blue)')).toHaveLength(1);
  });

  test('a time grouping timeout PagerDuty cannot take is an error, not "20s" rounded to 0 (group until resolved)', () => {
    expect(found("pagerduty-limits", 'service "groups-forever": alert grouping timeout 20s is outside')).toHaveLength(1);
    expect(found("pagerduty-limits", 'service "groups-two-days": alert grouping timeout 2d is outside')).toHaveLength(1);
    expect(found("pagerduty-limits", 'service "groups-hour"')).toHaveLength(0);
  });

  test("a service name ending in a space is refused", () => {
    expect(found("pagerduty-limits", 'service "trailing": name "Checkout " is blank or ends in a space')).toHaveLength(1);
  });

  test("user emails PagerDuty refuses and names over 100 characters are errors; an existing user's name is PagerDuty's", () => {
    expect(found("pagerduty-limits", 'user "no-domain": email "oncall@localhost" is not an address PagerDuty accepts')).toHaveLength(1);
    expect(found("pagerduty-limits", 'user "long-name": name is 101 characters; PagerDuty allows 1 to 100')).toHaveLength(1);
    expect(found("pagerduty-limits", 'user "ana": email')).toHaveLength(0);
  });

  test("team names over 100 characters and descriptions over 1024 are errors", () => {
    expect(found("pagerduty-limits", 'team "crew": name is 101 characters')).toHaveLength(1);
    expect(found("pagerduty-limits", 'team "crew": description is 1025 characters')).toHaveLength(1);
  });

  test("a phone number written with its national trunk prefix after the calling code is refused", () => {
    expect(found("contact-methods", 'phone "de-trunk": number "015123456789" starts with the national prefix 0')).toHaveLength(1);
    expect(found("contact-methods", 'sms "us-trunk": number "12025550199" starts with the national prefix 1')).toHaveLength(1);
    expect(found("contact-methods", 'sms "mx-sms": Mexican SMS number')).toHaveLength(1);
    expect(found("contact-methods", '"de-ok"')).toHaveLength(0);
  });
});

describe("the program sends PagerDuty's name of a zone", () => {
  test("a schedule and a user in UTC are declared in Etc/UTC", async () => {
    const manifest = sampleManifest((draft) => {
      draft.schedules[0]!.timeZone = "UTC";
      draft.users[0]!.timeZone = "UTC";
    });
    const { resources } = await runUnderMocks(manifest);
    const inputs = (name: string) => resources.find((r) => r.name === name)?.inputs;
    expect(inputs(`schedule:${manifest.schedules[0]!.id}`)).toMatchObject({ timeZone: "Etc/UTC" });
    expect(inputs(`user:${manifest.users[0]!.id}`)).toMatchObject({ timeZone: "Etc/UTC" });
  });
});

describe("the program sends layer times as RFC 3339, which the provider requires", () => {
  test("a start, end and hand-off in the schedule's zone without an offset are sent with the zone's offset", async () => {
    const manifest = sampleManifest((draft) => {
      const schedule = draft.schedules[0]!;
      schedule.timeZone = "Europe/Berlin";
      schedule.layers[0]!.start = "2026-01-05T09:00:00";
      schedule.layers[0]!.end = "2026-07-06 09:00";
      schedule.layers[0]!.rotationVirtualStart = "2026-01-05";
    });
    const { resources } = await runUnderMocks(manifest);
    const schedule = resources.find((r) => r.name === `schedule:${manifest.schedules[0]!.id}`)!.inputs as { layers: Record<string, unknown>[] };
    expect(schedule.layers[0]).toMatchObject({ start: "2026-01-05T09:00:00+01:00", end: "2026-07-06T09:00:00+02:00", rotationVirtualStart: "2026-01-05T00:00:00+01:00" });
  });

  test("a time already in RFC 3339 is sent exactly as written", async () => {
    const manifest = sampleManifest((draft) => {
      draft.schedules[0]!.layers[0]!.start = "2026-01-05T09:00:00Z";
    });
    const { resources } = await runUnderMocks(manifest);
    const schedule = resources.find((r) => r.name === `schedule:${manifest.schedules[0]!.id}`)!.inputs as { layers: Record<string, unknown>[] };
    expect(schedule.layers[0]).toMatchObject({ start: "2026-01-05T09:00:00Z" });
  });
});
