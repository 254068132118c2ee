import { zoneNameProblem } from "../../cli/rules/time-zone-names.js";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompileResult, Diagnostic } from "../../cli/compiler/index.js";
import { compileFixture } from "./support.js";

const byCode = (r: CompileResult, code: string): Diagnostic[] => r.diagnostics.filter((d) => d.code === code);

describe("single-responder", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-single-responder")).result));

  it("warns when a critical service's escalation policy can reach only one person, at the policy", () => {
    const found = byCode(r, "single-responder");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", file: "policies/oncall.ts", line: 9 });
    expect(found[0]!.message).toBe('critical service "payments" (paged by "payments-down") can reach only one person: escalation policy "lonely-ep" pages nobody but "ana"');
  });

  it("accepts a backup person, and ignores services no critical monitor pages", () => {
    const text = byCode(r, "single-responder").map((d) => d.message).join("\n");
    expect(text).not.toMatch(/backed-ep|quiet-ep/);
    expect(r.ok).toBe(true);
  });
});

describe("ending-layer", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-ending-layer")).result));

  it("warns about a layer that ends within the coverage window with nothing after it, in the schedule's zone", () => {
    const found = byCode(r, "ending-layer");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "warning", file: "policies/oncall.ts", line: 7 });
    // 1 December 09:00 Berlin is 08:00Z; from "now" (23 November 00:00Z) that is 8.33 days: "in 9 days".
    expect(found[0]!.message).toBe('schedule "ending": layer "Night" ends 2026-12-01 09:00 +01:00 (in 9 days, Europe/Berlin) and no other layer takes over');
  });

  it("accepts a layer handed over to a newer one, and one ending after the window", () => {
    const text = byCode(r, "ending-layer").map((d) => d.message).join("\n");
    expect(text).not.toMatch(/handed-over|later/);
  });
});

describe("unused-oncall", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-unused-oncall")).result));

  it("notes a schedule in no policy and a policy used by no service, each at its definition", () => {
    const found = byCode(r, "unused-oncall");
    expect(found.map((d) => [d.severity, d.line, d.message])).toEqual([
      ["notice", 8, 'schedule "forgotten" is in no escalation policy, so nobody on it is ever paged'],
      ["notice", 12, 'escalation policy "spare-ep" is used by no service, so no alert ever follows it'],
    ]);
    expect(r.ok).toBe(true);
  });
});

describe("single-rule-policy", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-single-rule-policy")).result));

  it("warns about a policy with one rule and no loops, and accepts one that repeats or has a backup", () => {
    const found = byCode(r, "single-rule-policy");
    expect(found.map((d) => [d.severity, d.line])).toEqual([["warning", 8]]);
    expect(found[0]!.message).toContain('escalation policy "once-ep" has one rule and no loops');
    expect(r.ok).toBe(true);
  });
});

describe("group-wait", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-group-wait")).result));

  it("warns about a channel that holds the first notification past 5 minutes, at the channel, and accepts 5 minutes or none", () => {
    const found = byCode(r, "group-wait");
    expect(found.map((d) => [d.severity, d.line])).toEqual([["warning", 4]]);
    expect(found[0]!.message).toContain('channel "slow": groupWait "30m"');
    expect(r.ok).toBe(true);
  });
});

describe("smtp-tls-mode", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-smtp-tls-mode")).result));

  it("warns about an email channel whose smtp.secure does not match its port's TLS mode, at the channel, with the fix", () => {
    const found = byCode(r, "smtp-tls-mode");
    expect(found.map((d) => [d.severity, d.file, d.line])).toEqual([
      ["warning", "monitors/api.ts", 4],
      ["warning", "monitors/api.ts", 5],
      ["warning", "monitors/api.ts", 6],
    ]);
    expect(found[0]!.message).toContain('email channel "tls-on-587": smtp.secure: true expects TLS from the first byte, but port 587 speaks plain text then STARTTLS');
    expect(found[0]!.hint).toMatch(/^set smtp\.secure: false/);
    expect(found[1]!.message).toContain('email channel "plain-on-465": smtp.secure: false speaks plain text first, but port 465 expects TLS from the first byte');
    expect(found[1]!.hint).toMatch(/^set smtp\.secure: true/);
    expect(found[2]!.message).toContain('email channel "tls-on-2525"');
    expect(r.ok).toBe(true);
  });
});

describe("summary-placeholders", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-summary-placeholders")).result));

  it("warns about a summary placeholder the runtime would send as written, with the nearest one, and accepts every real one", () => {
    const found = byCode(r, "summary-placeholders");
    expect(found.map((d) => [d.severity, d.line, d.message])).toEqual([
      ["warning", 3, 'monitor "typo": its summary\'s {{lables.instance}} is not a placeholder, so it is sent as written'],
      ["warning", 3, 'monitor "typo": its summary\'s {{nmae}} is not a placeholder, so it is sent as written'],
    ]);
    expect(found[0]!.hint).toMatch(/^did you mean \{\{labels\.instance\}\}\?/);
    expect(found[1]!.hint).toMatch(/^did you mean \{\{name\}\}\?/);
    expect(r.ok).toBe(true);
  });

  let braces: CompileResult;
  beforeAll(async () => void (braces = (await compileFixture("rule-summary-braces")).result));

  it("warns about a placeholder whose braces are not two on each side ({{name}, ${labels.x}, {message}}), with the spelling meant, and leaves other braces alone", () => {
    const found = byCode(braces, "summary-placeholders");
    expect(found.map((d) => [d.severity, d.line, d.message, d.hint!.split(";")[0]])).toEqual([
      ["warning", 3, 'monitor "braces": its summary\'s "${labels.instance}" is not a placeholder (two braces on each side), so it is sent as written', "write {{labels.instance}}"],
      ["warning", 3, 'monitor "braces": its summary\'s "{message}}" is not a placeholder (two braces on each side), so it is sent as written', "write {{message}}"],
      ["warning", 3, 'monitor "braces": its summary\'s "{{name}" is not a placeholder (two braces on each side), so it is sent as written', "write {{name}}"],
      ["warning", 3, 'monitor "braces": its summary\'s "{{nme}" is not a placeholder (two braces on each side), so it is sent as written', "write {{name}}"],
    ]);
  });
});

describe("time-zone-names", () => {
  let r: CompileResult;
  beforeAll(async () => void (r = (await compileFixture("rule-time-zone-names")).result));

  it("warns about an abbreviation (EST is UTC-05:00 all summer too) and a name in the wrong case, and accepts IANA names and UTC", () => {
    const found = byCode(r, "time-zone-names");
    expect(found.map((d) => [d.severity, d.line])).toEqual([["warning", 5], ["warning", 6]]);
    expect(found[0]!.message).toBe('monitor "eastern": time zone "EST" is an abbreviation, which the runtime reads as a fixed offset (UTC-05:00) all year, with no daylight saving time');
    expect(found[0]!.hint).toContain('"America/New_York"');
    expect(found[1]!.hint).toBe('write "Europe/Berlin"');
    expect(zoneNameProblem("Utc", new Date())).toEqual({ message: 'time zone "Utc" is not written as the IANA database writes it', hint: 'write "UTC"' });
    expect(r.ok).toBe(true);
  });
});
