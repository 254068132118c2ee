import { maskCredentials } from "../../cli/rules/no-secret-literals.js";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompileResult, Diagnostic } from "../../cli/compiler/index.js";
import { compileFixture } from "./support.js";

const byCode = (r: CompileResult, code: string): Diagnostic[] => r.diagnostics.filter((d) => d.code === code);
const messages = (ds: Diagnostic[]) => ds.map((d) => d.message).join("\n");

describe("valid-schedules", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-valid-schedules")).result));

  it("accepts 5-field, 6-field with seconds, Quartz `?` and zoned cron", () => {
    const text = messages(byCode(r, "valid-schedules"));
    for (const id of ["quartz-ok", "six-field-ok", "zoned-ok"]) expect(text).not.toContain(`"${id}"`);
  });

  it("rejects a year field, a misplaced `?`, an unknown zone, a cron that never fires and a zero interval, at the monitor's line", () => {
    const found = byCode(r, "valid-schedules");
    const at = (id: string) => found.find((d) => d.message.includes(`monitor "${id}"`));
    expect(at("with-year")?.message).toMatch(/year/);
    expect(at("with-year")?.line).toBe(8);
    expect(at("misplaced-question")?.message).toMatch(/day-of-month or day-of-week/);
    expect(at("bad-zone")?.message).toMatch(/Mars\/Olympus/);
    expect(at("never-fires")?.message).toMatch(/never fires/);
    // A valid expression whose day never comes: the fix is the day, not the syntax.
    expect(at("never-fires")?.hint).toBe("its day never comes (no month has a February 30, April 31 or the like): name a day every month it names has, or L for the last day of the month");
    expect(at("too-fast")?.message).toMatch(/shorter than 1s/);
    for (const d of found) expect(d.file).toBe("monitors/schedules.ts");
  });

  it("refuses a 6-field cron whose seconds field matches every second, however it is spelled, with the 5-field form as the hint", () => {
    const found = byCode(r, "valid-schedules");
    for (const [id, line] of [["every-second", 13], ["every-second-quartz", 15]] as const) {
      const d = found.find((f) => f.message.includes(`monitor "${id}"`));
      expect(d?.message).toMatch(/fires every second/);
      expect(d?.severity).toBe("error");
      expect(d?.line).toBe(line);
      expect(d?.hint).toMatch(/"\* \* \* \* \*"/);
    }
    expect(messages(found)).not.toMatch(/"six-field-ok"/);
  });

  it("names the nearest IANA zone in the hint for a misspelt time zone", () => {
    const d = byCode(r, "valid-schedules").find((f) => f.message.includes('monitor "typo-zone"'));
    expect(d?.message).toMatch(/unknown time zone "America\/New_Yrok"/);
    expect(d?.hint).toMatch(/did you mean "America\/New_York"/);
  });

  it("rejects unknown user time zones, non-ISO layer dates and impossible times of day", () => {
    const text = messages(byCode(r, "valid-schedules"));
    expect(text).toMatch(/user "ana": unknown time zone "Europe\/Nowhere"/);
    expect(text).toMatch(/start "next monday" is not an ISO 8601 date-time/);
    expect(text).toMatch(/restriction start "25:00:00" is not a time of day/);
    expect(r.ok).toBe(false);
  });

  it("a layer start that is not a date is one finding: the handoff it stands in for, which the author did not write, is not reported too", () => {
    const rota = byCode(r, "valid-schedules").filter((d) => d.message.startsWith('schedule "rota" layer 1:') && d.message.includes("ISO 8601"));
    expect(rota.map((d) => d.message)).toEqual(['schedule "rota" layer 1: start "next monday" is not an ISO 8601 date-time']);
  });

  it("reports a schedule's unknown time zone as a finding, and no rule that places shifts trips over it", () => {
    expect(messages(byCode(r, "valid-schedules"))).toMatch(/schedule "mars-rota": unknown time zone "Mars\/Olympus"/);
    expect(r.diagnostics.filter((d) => d.message.includes("mars-rota") && d.code !== "valid-schedules")).toEqual([]);
  });
});

describe("declared-secrets", () => {
  it("reports a secret that the config does not declare, at the definition, and a badly named declaration", async () => {
    const { result } = await compileFixture("rule-declared-secrets");
    const found = byCode(result, "declared-secrets");
    const api = found.find((d) => d.message.includes('"API_TOKEN"'));
    expect(api).toMatchObject({ severity: "error", file: "monitors/alerts.ts", line: 5 });
    expect(api!.hint).toMatch(/add "API_TOKEN" to `secrets`/);
    expect(messages(found)).not.toContain('"SLACK_WEBHOOK", which');
    // The badly named declaration is the manifest schema's finding, which no rule level turns off, at its place in the config.
    const named = result.diagnostics.filter((d) => d.message.includes('"lower_case" is not an environment variable name'));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatchObject({ severity: "error", code: "WK3001", file: "watchkeeper.config.ts", line: 3 });
  });

  it("names a missing secret once, with every definition that uses it, at the first of them", async () => {
    const { result } = await compileFixture("rule-declared-secrets");
    const api = byCode(result, "declared-secrets").filter((d) => d.message.includes('"API_TOKEN"'));
    expect(api).toHaveLength(1);
    expect(api[0]).toMatchObject({ file: "monitors/alerts.ts", line: 5 });
    expect(api[0]!.message).toBe(
      'secret "API_TOKEN" is not declared in the config, and is used by 3 definitions: monitor "api-up" (monitors/alerts.ts:5), monitor "api-slow" (monitors/alerts.ts:12), monitor "api-status" (monitors/alerts.ts:18)',
    );
  });
});

describe("no-secret-literals", () => {
  let found: Diagnostic[];
  beforeAll(async () => void (found = byCode((await compileFixture("rule-no-secret-literals")).result, "no-secret-literals")));

  it("finds each kind of credential at its line and column", () => {
    const line = (n: number) => found.filter((d) => d.line === n).map((d) => d.message).join(" | ");
    expect(line(6)).toMatch(/bearer token/);
    expect(line(7)).toMatch(/PagerDuty integration key/);
    expect(line(10)).toMatch(/Slack webhook URL/);
    expect(line(11)).toMatch(/Slack token/);
    expect(line(12)).toMatch(/AWS access key/);
    expect(line(13)).toMatch(/OpsGenie API key/);
    expect(line(14)).toMatch(/PagerDuty REST API token/);
    expect(line(15)).toBe("");
    expect(line(16)).toMatch(/a password in a URL \(http:\/\/…:…@\)/);
    expect(line(17)).toBe("");
    expect(line(18)).toBe("");
    expect(line(19)).toMatch(/basic-auth credentials \(Basic …\)/);
    expect(line(20)).toMatch(/GitHub token \(ghp_…\)/);
    expect(line(21)).toBe("");
    expect(line(22)).toMatch(/a credential in a URL parameter \(&api_key=…\)/);
    expect(line(23)).toBe("");
    for (const d of found) expect(d).toMatchObject({ file: "monitors/leaky.ts", severity: "error" });
    expect(found.every((d) => (d.column ?? 0) > 1)).toBe(true);
  });

  it("never repeats the secret in the diagnostic", () => {
    const text = JSON.stringify(found);
    for (const secretPart of ["0123456789abcdef0123", "B00000000/XXXX", "1234567890-fake", "IOSFODNN7EXAMPLE", "0123456789ab\"", "y_NbAkKc66ry", "eyJhbGciOiJIUzI1NiJ9", "hunter2pw", "YWRtaW46aHVudGVyMg", "abcdefghijklmnopqrstuvwxyz0123456789", "k3yv4lu3s3cr3t99"]) {
      expect(text).not.toContain(secretPart);
    }
  });
});

describe("what the plan shows of a credential", () => {
  it("masks a credential in a URL parameter and leaves the rest of the URL as written", () => {
    expect(maskCredentials("https://api.example.com/v1?page=1234567890&token=abcdefgh12345&sort=asc")).toBe("https://api.example.com/v1?page=1234567890&token=…&sort=asc");
  });
});

describe("pagerduty-limits", () => {
  it("enforces delays, loops, targets per rule, turn lengths, restriction lengths and service names", async () => {
    const { result } = await compileFixture("rule-pagerduty-limits");
    const text = messages(byCode(result, "pagerduty-limits"));
    expect(text).toMatch(/loops is 12; PagerDuty allows 0 to 9/);
    expect(text).toMatch(/rule 1: escalation delay 30s is under PagerDuty's minimum of 1 minute/);
    expect(text).toMatch(/rule 2 has 11 targets; PagerDuty allows 1 to 10/);
    expect(text).toMatch(/rotation 30m is outside PagerDuty's 1h to 1 year/);
    expect(text).toMatch(/daily restriction lasts 25h/);
    expect(text).toMatch(/weekly restriction lasts 8d/);
    expect(text).toMatch(/name "Payments \/ Checkout" contains/);
    for (const d of byCode(result, "pagerduty-limits")) expect(d.file).toBe("policies/limits.ts");
  });
});

describe("critical-routes-to-service", () => {
  it("reports a critical monitor that pages nobody, and accepts a service or a PagerDuty incident channel", async () => {
    const { result } = await compileFixture("rule-critical-routes");
    const found = byCode(result, "critical-routes-to-service");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", file: "monitors/db.ts", line: 5 });
    expect(found[0]!.message).toContain("db-primary-down");
  });
});

describe("oncall-coverage", () => {
  let found: Diagnostic[];
  let ok: boolean;
  beforeAll(async () => {
    const { result } = await compileFixture("rule-oncall-coverage");
    found = byCode(result, "oncall-coverage");
    ok = result.ok;
  });

  it("warns about an office-hours schedule with the first gap's start and end in its time zone", () => {
    const web = found.find((d) => d.message.includes('service "web"'));
    expect(web).toMatchObject({ severity: "warning", file: "policies/oncall.ts", line: 7 });
    // 2026-11-23 is a Monday: the first gap runs from the start of the window to 09:00 Berlin.
    expect(web!.message).toContain("2026-11-23 01:00 +01:00 to 2026-11-23 09:00 +01:00");
    expect(web!.message).toContain("2026-11-23 17:00 +01:00 to 2026-11-24 09:00 +01:00");
    expect(web!.message).toMatch(/Europe\/Berlin/);
  });

  it("accepts layered schedules that cover the clock together, and a first rule that names a user", () => {
    expect(found.map((d) => d.message).join("\n")).not.toMatch(/service "(api|batch)"/);
    expect(found).toHaveLength(1);
    expect(ok).toBe(true);
  });
});

describe("rule levels from the config", () => {
  it("downgrades, turns off and reports unknown rule names", async () => {
    const { result } = await compileFixture("rule-levels");
    expect(byCode(result, "critical-routes-to-service")[0]?.severity).toBe("warning");
    expect(byCode(result, "no-secret-literals")).toHaveLength(0);
    expect(messages(byCode(result, "WK1005"))).toMatch(/unknown rule "no-such-rule"/);
    expect(result.ok).toBe(true);
  });
});

describe("valid-promql", () => {
  let found: Diagnostic[];
  beforeAll(async () => void (found = byCode((await compileFixture("rule-valid-promql")).result, "valid-promql")));
  const at = (id: string) => found.find((d) => d.message.includes(`monitor "${id}"`));

  it("rejects a query Prometheus's parser rejects, as an error at the monitor's line with the position in the query", () => {
    expect(at("unclosed-paren")).toMatchObject({ severity: "error", file: "monitors/queries.ts", line: 6 });
    expect(at("unclosed-paren")!.message).toMatch(/does not parse at 1:34 of the query: the query ends too early/);
    expect(at("dangling-operator")!.message).toMatch(/at 1:5 .*ends too early, in "up >⟨here⟩"/);
    expect(at("bad-matcher")!.message).toMatch(/at 1:8 of the query: unexpected "\}"/);
    expect(at("two-selectors")!.message).toMatch(/at 1:4 of the query: unexpected "down"/);
    expect(at("open-string")!.message).toMatch(/a string is not closed/);
    expect(at("multi-line")).toMatchObject({ line: 11 });
    expect(at("multi-line")!.message).toMatch(/at 3:1 of the query: unexpected "\)"/);
  });

  it("accepts rate, histogram_quantile, offset and @, subqueries, `and on()`, vector(), absent() and label_replace", () => {
    expect(found.filter((d) => /"ok-/.test(d.message))).toEqual([]);
    expect(found).toHaveLength(6);
  });
});

describe("runbook-url", () => {
  it("warns about a runbook that is not an absolute http(s) URL, at the monitor's line, and accepts a URL", async () => {
    const { result } = await compileFixture("rule-runbook-url");
    const found = byCode(result, "runbook-url");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", file: "monitors/site.ts", line: 10 });
    expect(found[0]!.message).toContain("site-prose");
    expect(result.ok).toBe(true);
  });
});

describe("quorum", () => {
  it("refuses a quorum larger than the monitor's locations or without locations, at the monitor's line", async () => {
    const { result } = await compileFixture("rule-quorum");
    const found = byCode(result, "quorum");
    expect(found.map((d) => [d.severity, d.line])).toEqual([["error", 11], ["error", 19]]);
    expect(found[0]!.message).toContain("quorum 3 is more than its 2 locations");
    expect(found[1]!.message).toContain("without locations");
    expect(result.ok).toBe(false);
  });
});
