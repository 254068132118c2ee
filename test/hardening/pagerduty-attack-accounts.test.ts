import { describe, expect, test } from "vitest";
import type { Diagnostic } from "../../cli/compiler/index.js";
import { tempProjects } from "../compiler/temp-project.js";

/**
 * What PagerDuty's account refuses about people and names, written so the compiler accepted it
 * before: each one validated clean and failed `wk deploy` after the merge. The refusal comes at
 * `wk validate`, at the definition's line, with the fix.
 */
const compile = tempProjects();

const CONFIG = `import { config } from "watchkeeper";\n\nexport default config({ name: "accounts", secrets: [] });\n`;

async function findings(policies: string, code: string): Promise<{ found: Diagnostic[]; lineOf: (text: string) => number }> {
  const { result } = await compile({ "watchkeeper.config.ts": CONFIG, "policies/oncall.ts": policies });
  return {
    found: result.diagnostics.filter((d) => d.code === code && d.file === "policies/oncall.ts"),
    lineOf: (text) => policies.split("\n").findIndex((l) => l.includes(text)) + 1,
  };
}

describe("PagerDuty's account refuses it, so wk validate does", () => {
  test("a stakeholder (read_only_user) on a team, a schedule layer or an escalation rule is an error: PagerDuty never puts one on call or on a team", async () => {
    const { found, lineOf } = await findings(
      `import { escalationPolicy, schedule, service, team, user } from "watchkeeper";

export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com" });
export const cfo = user({ id: "cfo", name: "Cfo", email: "cfo@example.com", role: "read_only_user" });
export const board = user({ id: "board", name: "Board", email: "board@example.com", role: "read_only_user" });
export const crew = team({ id: "crew", name: "Crew", members: [ana, { user: cfo, role: "observer" }] });
export const rota = schedule({ id: "rota", timeZone: "Europe/Berlin", layers: [{ start: "2026-01-05T09:00:00Z", rotation: "1w", users: [ana, board] }] });
export const policy = escalationPolicy({ id: "policy", loops: 1, rules: [{ delay: "10m", targets: [rota] }, { delay: "10m", targets: [cfo, ana] }] });
export const svc = service({ id: "svc", name: "Svc", escalationPolicy: policy });
`,
      "pagerduty-limits",
    );
    const about = (text: string) => found.filter((d) => d.message.includes(text));
    expect(about('team "crew"')).toHaveLength(1);
    expect(about('team "crew"')[0]).toMatchObject({ severity: "error", line: lineOf('id: "crew"') });
    expect(about('team "crew"')[0]!.message).toMatch(/user "cfo" is a stakeholder \(role read_only_user\)/);
    expect(about('team "crew"')[0]!.hint).toMatch(/role/);
    expect(about('schedule "rota"')).toHaveLength(1);
    expect(about('schedule "rota"')[0]).toMatchObject({ severity: "error", line: lineOf('id: "rota"') });
    expect(about('schedule "rota"')[0]!.message).toMatch(/user "board"/);
    expect(about('escalation policy "policy"')).toHaveLength(1);
    expect(about('escalation policy "policy"')[0]!.message).toMatch(/rule 2.*user "cfo"/);
    expect(found.filter((d) => d.message.includes('"ana"'))).toEqual([]);
  }, 120_000);
});

describe("PagerDuty keeps one of each name in an account", () => {
  test("two services, two escalation policies or two teams with one name, or two users with one email, are an error at the second, naming the first", async () => {
    const { found, lineOf } = await findings(
      `import { escalationPolicy, schedule, service, team, user } from "watchkeeper";

export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com" });
export const bob = user({ id: "bob", name: "Bob", email: "bob@example.com" });
export const anaAgain = user({ id: "ana-again", name: "Ana B", email: "Ana@Example.com" });
export const red = team({ id: "red", name: "Payments", members: [ana] });
export const blue = team({ id: "blue", name: "payments", members: [bob] });
export const first = escalationPolicy({ id: "first", name: "Primary", loops: 1, rules: [{ delay: "10m", targets: [ana, bob] }] });
export const second = escalationPolicy({ id: "second", name: "Primary", loops: 1, rules: [{ delay: "10m", targets: [bob, ana] }] });
export const checkout = service({ id: "checkout", name: "Checkout", escalationPolicy: first });
export const checkoutEu = service({ id: "checkout-eu", name: "Checkout", escalationPolicy: second });
export const search = service({ id: "search", name: "Search", escalationPolicy: second });
`,
      "pagerduty-limits",
    );
    const about = (text: string) => found.filter((d) => d.message.includes(text));
    expect(about('service "checkout-eu"')).toHaveLength(1);
    expect(about('service "checkout-eu"')[0]).toMatchObject({ severity: "error", line: lineOf('id: "checkout-eu"') });
    expect(about('service "checkout-eu"')[0]!.message).toMatch(/"Checkout".*service "checkout"/);
    expect(about('escalation policy "second"')).toHaveLength(1);
    expect(about('escalation policy "second"')[0]).toMatchObject({ line: lineOf('id: "second"') });
    const teams = found.filter((d) => /^team "(red|blue)": name "(P|p)ayments" is also the name of team "(red|blue)"/.test(d.message));
    expect(teams).toHaveLength(1);
    expect(about('user "ana-again"')).toHaveLength(1);
    expect(about('user "ana-again"')[0]).toMatchObject({ line: lineOf('id: "ana-again"') });
    expect(about('user "ana-again"')[0]!.message).toMatch(/user "ana"/);
    for (const first of ['service "checkout"', 'escalation policy "first"', 'user "ana"', 'service "search"']) {
      expect(found.filter((d) => d.message.startsWith(first + ":") || d.message.startsWith(first + " "))).toEqual([]);
    }
  }, 120_000);
});

describe("a user's contact methods and notification rules are each one PagerDuty object", () => {
  test("two notification rules alike (urgency, method, delay) or two contact methods of one type and address are an error at the user", async () => {
    const { found, lineOf } = await findings(
      `import { contactMethod, user } from "watchkeeper";

const mobile = contactMethod.sms({ id: "mobile", countryCode: 49, number: "15123456789" });
const mobileAgain = contactMethod.sms({ id: "mobile-again", countryCode: 49, number: "15123456789", label: "Phone" });
const voice = contactMethod.phone({ id: "voice", countryCode: 49, number: "15123456789" });
const work = contactMethod.email({ id: "work", address: "ana@example.com" });
const office = contactMethod.email({ id: "office", address: "ANA@example.com" });
export const ana = user({
  id: "ana",
  name: "Ana",
  email: "ana@example.com",
  contactMethods: [mobile, mobileAgain, voice, work, office],
  notificationRules: [
    { contactMethod: mobile, urgency: "high" },
    { contactMethod: mobile, urgency: "high", startDelay: "0m" },
    { contactMethod: mobile, urgency: "low" },
    { contactMethod: voice, urgency: "high", startDelay: "5m" },
  ],
});
`,
      "contact-methods",
    );
    const at = lineOf("export const ana");
    const rule = found.filter((d) => d.message.includes("notification rule"));
    expect(rule).toHaveLength(1);
    expect(rule[0]).toMatchObject({ severity: "error", line: at });
    expect(rule[0]!.message).toMatch(/high-urgency notification rule by "mobile" after 0 minutes is listed twice/);
    const same = found.filter((d) => d.message.includes("same"));
    expect(same).toHaveLength(2);
    expect(same.some((d) => /sms "mobile(-again)?" has the same number as sms "mobile(-again)?"/.test(d.message))).toBe(true);
    expect(same.some((d) => /email "(office|work)" has the same address as email "(office|work)"/.test(d.message))).toBe(true);
    expect(found.filter((d) => d.message.includes('"voice"'))).toEqual([]);
  }, 120_000);
});

describe("a push contact method", () => {
  test("is an error at the user: PagerDuty creates one only with the device type the app registers, which the provider cannot send", async () => {
    const { found, lineOf } = await findings(
      `import { contactMethod, user } from "watchkeeper";

const app = contactMethod.push({ id: "app", address: "ana-phone" });
const mobile = contactMethod.sms({ id: "mobile", countryCode: 49, number: "15123456789" });
export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com", contactMethods: [app, mobile], notificationRules: [{ contactMethod: mobile, urgency: "high" }] });
`,
      "contact-methods",
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", line: lineOf("export const ana") });
    expect(found[0]!.message).toMatch(/push "app" cannot be created through PagerDuty's API/);
    expect(found[0]!.hint).toMatch(/PagerDuty app/);
  }, 120_000);
});

describe("schedule layer times", () => {
  test("a layer's start, end or hand-off off the whole minute is an error: PagerDuty takes layer times to the minute", async () => {
    const { found, lineOf } = await findings(
      `import { schedule, user } from "watchkeeper";

export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com" });
export const seconds = schedule({ id: "seconds", timeZone: "Europe/Berlin", layers: [{ start: "2026-01-05T09:00:30+01:00", rotation: "1w", users: [ana] }] });
export const handoff = schedule({ id: "handoff", timeZone: "Europe/Berlin", layers: [{ start: "2026-01-05T09:00:00", handoff: "2026-01-05T09:00:00.250Z", end: "2027-01-05T09:00:00Z", rotation: "1w", users: [ana] }] });
export const fine = schedule({ id: "fine", timeZone: "Asia/Kolkata", layers: [{ start: "2026-01-05T09:00", end: "2027-01-05T09:00:00+05:30", rotation: "1d", users: [ana] }] });
`,
      "pagerduty-limits",
    );
    const about = (id: string) => found.filter((d) => d.message.startsWith(`schedule "${id}"`));
    expect(about("seconds")).toHaveLength(1);
    expect(about("seconds")[0]).toMatchObject({ severity: "error", line: lineOf('id: "seconds"') });
    expect(about("seconds").map((d) => d.message).join("\n")).toMatch(/layer 1: start "2026-01-05T09:00:30\+01:00" is not on a whole minute/);
    expect(about("handoff").map((d) => d.message)).toEqual([expect.stringMatching(/layer 1: handoff "2026-01-05T09:00:00.250Z" is not on a whole minute/)]);
    expect(about("seconds")[0]!.hint).toMatch(/09:00:00/);
    expect(about("fine")).toEqual([]);
  }, 120_000);
});

describe("service and escalation policy names", () => {
  test("a name holding a character the provider counts as not printable (a no-break space pasted from a document, a zero-width space) is an error", async () => {
    const { found, lineOf } = await findings(
      `import { escalationPolicy, service, user } from "watchkeeper";

export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com" });
export const bob = user({ id: "bob", name: "Bob", email: "bob@example.com" });
export const zero = escalationPolicy({ id: "zero", name: "Primary\\u200bon-call", loops: 1, rules: [{ delay: "10m", targets: [ana, bob] }] });
export const ok = escalationPolicy({ id: "ok", name: "Zahlungen – Bereitschaft (Ü)", loops: 1, rules: [{ delay: "10m", targets: [bob, ana] }] });
export const nbsp = service({ id: "nbsp", name: "Checkout\\u00a0API", escalationPolicy: ok });
export const fine = service({ id: "fine", name: "Café API · EU ✓", escalationPolicy: zero });
`,
      "pagerduty-limits",
    );
    const about = (text: string) => found.filter((d) => d.message.startsWith(text));
    expect(about('escalation policy "zero"')).toHaveLength(1);
    expect(about('escalation policy "zero"')[0]).toMatchObject({ severity: "error", line: lineOf('id: "zero"') });
    expect(about('escalation policy "zero"')[0]!.message).toMatch(/U\+200B/);
    expect(about('service "nbsp"')).toHaveLength(1);
    expect(about('service "nbsp"')[0]!.message).toMatch(/U\+00A0/);
    expect(about('service "fine"')).toEqual([]);
    expect(about('escalation policy "ok"')).toEqual([]);
  }, 120_000);
});

describe("an email contact method", () => {
  test("is held to the address PagerDuty takes for a login (name@domain.tld), not only to having an @", async () => {
    const { found, lineOf } = await findings(
      `import { contactMethod, user } from "watchkeeper";

export const ana = user({
  id: "ana",
  name: "Ana",
  email: "ana@example.com",
  contactMethods: [
    contactMethod.email({ id: "local", address: "oncall@localhost" }),
    contactMethod.email({ id: "spaced", address: "ana @example.com" }),
    contactMethod.email({ id: "work", address: "ana.work@example.co.uk" }),
  ],
});
`,
      "contact-methods",
    );
    expect(found.map((d) => d.message)).toEqual([
      expect.stringMatching(/email "local": "oncall@localhost" is not an address PagerDuty accepts/),
      expect.stringMatching(/email "spaced": "ana @example.com" is not an address PagerDuty accepts/),
    ]);
    expect(found[0]).toMatchObject({ severity: "error", line: lineOf("export const ana") });
  }, 120_000);
});

describe("the account owner", () => {
  test("a created user with role owner is an error (PagerDuty sets no owner through its API); an existing one is only looked up, so it is not", async () => {
    const { found, lineOf } = await findings(
      `import { user } from "watchkeeper";

export const boss = user({ id: "boss", name: "Boss", email: "boss@example.com", role: "owner" });
export const founder = user({ id: "founder", name: "Founder", email: "founder@example.com", role: "owner", existing: true });
export const admin = user({ id: "admin", name: "Admin", email: "admin@example.com", role: "admin" });
`,
      "pagerduty-limits",
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", line: lineOf('id: "boss"') });
    expect(found[0]!.message).toMatch(/user "boss": role owner/);
    expect(found[0]!.hint).toMatch(/existing: true/);
  }, 120_000);
});

describe("a contact method's label", () => {
  test("a blank label is an error: PagerDuty requires one, and the SDK's default (the id) is only used when none is given", async () => {
    const { found, lineOf } = await findings(
      `import { contactMethod, user } from "watchkeeper";

export const ana = user({
  id: "ana",
  name: "Ana",
  email: "ana@example.com",
  contactMethods: [
    contactMethod.sms({ id: "mobile", countryCode: 49, number: "15123456789", label: "" }),
    contactMethod.email({ id: "work", address: "ana@example.com", label: "   " }),
    contactMethod.phone({ id: "desk", countryCode: 49, number: "301234567" }),
  ],
});
`,
      "contact-methods",
    );
    expect(found.map((d) => d.message).sort()).toEqual([
      expect.stringMatching(/email "work" has a blank label/),
      expect.stringMatching(/sms "mobile" has a blank label/),
    ]);
    expect(found[0]).toMatchObject({ severity: "error", line: lineOf("export const ana") });
  }, 120_000);
});

describe("reachable-on-call's fix", () => {
  test("suggests a phone or SMS method, not a push method, which contact-methods refuses", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { contactMethod, escalationPolicy, service, user } from "watchkeeper";

const work = contactMethod.email({ id: "work", address: "ana@example.com" });
export const ana = user({ id: "ana", name: "Ana", email: "ana@example.com", contactMethods: [work], notificationRules: [{ contactMethod: work, urgency: "high" }] });
export const bob = user({ id: "bob", name: "Bob", email: "bob@example.com" });
export const policy = escalationPolicy({ id: "policy", loops: 1, rules: [{ delay: "10m", targets: [ana, bob] }] });
export const svc = service({ id: "svc", name: "Svc", escalationPolicy: policy });
`,
      "monitors/site.ts": `import { check, monitor } from "watchkeeper";
import { svc } from "../policies/oncall.js";

export const db = monitor({ id: "db", schedule: "*/5 * * * *", check: check.tcp({ host: "db.internal", port: 5432 }), severity: "critical", service: svc });
`,
    });
    const found = result.diagnostics.filter((d) => d.code === "reachable-on-call");
    expect(found).toHaveLength(1);
    expect(found[0]!.hint).toMatch(/phone or SMS/);
    expect(found[0]!.hint).not.toMatch(/SMS or push contact method/);
  }, 120_000);
});

describe("a notification rule's start delay", () => {
  test("that is not whole minutes is an error at the user, not a delay rounded without a word (90s was sent as 2 minutes)", async () => {
    const { result } = await compile({
      "watchkeeper.config.ts": CONFIG,
      "policies/oncall.ts": `import { contactMethod, user } from "watchkeeper";

const mobile = contactMethod.sms({ id: "mobile", countryCode: 49, number: "15123456789" });
export const ana = user({
  id: "ana",
  name: "Ana",
  email: "ana@example.com",
  contactMethods: [mobile],
  notificationRules: [{ contactMethod: mobile, urgency: "high", startDelay: "90s" }, { contactMethod: mobile, urgency: "low", startDelay: "5m" }],
});
`,
    });
    expect(result.ok).toBe(false);
    const found = result.diagnostics.filter((d) => d.severity === "error" && /startDelay/.test(d.message));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/whole minutes/);
    expect(found[0]!.file).toBe("policies/oncall.ts");
  }, 120_000);
});
