import { beforeAll, describe, expect, it } from "vitest";
import type { CompileResult, Diagnostic } from "../../cli/compiler/index.js";
import { runUnderMocks } from "../../cli/plan/mock-run.js";
import { buildPlan } from "../../cli/plan/build-plan.js";
import { compileFixture } from "../compiler/support.js";
import { sampleManifest } from "../infra/sample-manifest.js";

const byCode = (r: CompileResult, code: string): Diagnostic[] => r.diagnostics.filter((d) => d.code === code);

describe("people who can actually be paged", () => {
  let result: CompileResult;
  beforeAll(async () => void (result = (await compileFixture("rule-reachable-on-call")).result));

  it("warns about a responder of a critical service with no phone, SMS or push rule for high urgency, at the user", () => {
    const found = byCode(result, "reachable-on-call");
    expect(found.map((d) => d.message).sort()).toEqual([
      'user "ben" can be paged for critical service "checkout" (schedule "primary") but has no high-urgency notification rule by phone, SMS or push',
      'user "carla" can be paged for critical service "checkout" (escalation policy "checkout-ep") but has no high-urgency notification rule by phone, SMS or push',
    ]);
    expect(found.find((d) => d.message.includes('"ben"'))).toMatchObject({ severity: "warning", file: "policies/oncall.ts", line: 18 });
    // Ana has a high-urgency phone rule; Dan's methods live in PagerDuty, which the project cannot see.
  });

  it("refuses a rule naming another user's method, a bad calling code and a formatted number, at the user", () => {
    const found = byCode(result, "contact-methods");
    expect(found.every((d) => d.severity === "error" && d.file === "policies/oncall.ts" && d.line === 41)).toBe(true);
    const text = found.map((d) => d.message).join("\n");
    expect(text).toMatch(/user "eve": a high-urgency notification rule uses contact method "mobile", which the user does not declare/);
    expect(text).toMatch(/phone "desk" needs a calling code of 1 to 3 digits \(countryCode\), got 4900/);
    expect(text).toMatch(/phone "desk": number must be 3 to 15 digits/);
    expect(found).toHaveLength(3);
  });

  it("compiles contact methods and rules into the manifest, and leaves users without them unchanged", () => {
    const users = new Map(result.manifest!.users.map((u) => [u.id, u]));
    expect(users.get("ana")).toMatchObject({
      contactMethods: [
        { id: "work", type: "email", address: "ana@example.com", countryCode: null, label: "work", sendShortEmail: false },
        { id: "mobile", type: "phone", address: "15123456789", countryCode: 49, label: "mobile", sendShortEmail: false },
      ],
      notificationRules: [
        { contactMethod: "mobile", urgency: "high", startDelayInMinutes: 0 },
        { contactMethod: "work", urgency: "low", startDelayInMinutes: 5 },
      ],
    });
    expect(Object.keys(users.get("dan")!)).not.toContain("contactMethods");
    expect(Object.keys(users.get("dan")!)).not.toContain("notificationRules");
  });
});

describe("contact methods and notification rules under Pulumi's mocks", () => {
  const withContacts = () =>
    sampleManifest((d) => {
      d.users[0]!.contactMethods = [
        { id: "mobile", type: "phone", address: "15123456789", countryCode: 49, label: "Mobile", sendShortEmail: false },
        { id: "work", type: "email", address: "alice@example.test", countryCode: null, label: "Work", sendShortEmail: true },
      ];
      d.users[0]!.notificationRules = [
        { contactMethod: "mobile", urgency: "high", startDelayInMinutes: 0 },
        { contactMethod: "work", urgency: "low", startDelayInMinutes: 5 },
      ];
      // An account that exists in PagerDuty can still have its contact methods managed here.
      d.users[1]!.contactMethods = [{ id: "push", type: "push", address: "bob-phone", countryCode: null, label: "App", sendShortEmail: false }];
      d.users[1]!.notificationRules = [{ contactMethod: "push", urgency: "high", startDelayInMinutes: 1 }];
    });

  it("provisions UserContactMethod and UserNotificationRule with the provider's types", async () => {
    const { resources } = await runUnderMocks(withContacts());
    const find = (name: string) => resources.find((r) => r.name === name);
    expect(find("contact-method:alice:mobile")).toMatchObject({
      type: "pagerduty:index/userContactMethod:UserContactMethod",
      inputs: { userId: "user:alice", type: "phone_contact_method", address: "15123456789", countryCode: 49, label: "Mobile" },
    });
    expect(find("contact-method:alice:work")?.inputs).toMatchObject({ type: "email_contact_method", sendShortEmail: true });
    expect(find("notification-rule:alice:high:mobile:0m")).toMatchObject({
      type: "pagerduty:index/userNotificationRule:UserNotificationRule",
      inputs: { userId: "user:alice", urgency: "high", startDelayInMinutes: 0, contactMethod: { type: "phone_contact_method", id: "contact-method:alice:mobile" } },
    });
    expect(find("notification-rule:alice:low:work:5m")?.inputs).toMatchObject({ startDelayInMinutes: 5, contactMethod: { type: "email_contact_method" } });
    expect(find("contact-method:bob:push")?.inputs).toMatchObject({ userId: "existing-user:bob@example.test", type: "push_notification_contact_method" });
  });

  it("plans added contact methods as creates and a user without them as untouched", async () => {
    const { plan } = await buildPlan({ base: sampleManifest(), baseSource: { kind: "file", ref: "deployed.json" }, target: withContacts(), now: new Date("2026-11-23T08:00:00Z") });
    expect(plan.resources.map((r) => `${r.action} ${r.name}`)).toEqual([
      "create contact-method:alice:mobile",
      "create contact-method:alice:work",
      "create contact-method:bob:push",
      "create notification-rule:alice:high:mobile:0m",
      "create notification-rule:alice:low:work:5m",
      "create notification-rule:bob:high:push:1m",
    ]);
  });

  it("moves a renamed user's contact methods with the user", async () => {
    const renamed = () =>
      sampleManifest((d) => {
        const before = withContacts();
        d.users[0] = { ...before.users[0]!, id: "alice-adams", previousIds: ["alice"] };
        d.users[1] = before.users[1]!;
        d.teams[0]!.members[0]!.user = "alice-adams";
        d.escalationPolicies[0]!.rules[1]!.targets[0]!.id = "alice-adams";
        d.schedules[0]!.layers[0]!.users[0] = "alice-adams";
      });
    const { plan } = await buildPlan({ base: withContacts(), baseSource: { kind: "file", ref: "deployed.json" }, target: renamed(), now: new Date("2026-11-23T08:00:00Z") });
    const actions = plan.resources.map((r) => `${r.action} ${r.name}`);
    expect(actions).toContain("move contact-method:alice-adams:mobile");
    expect(actions).toContain("move notification-rule:alice-adams:high:mobile:0m");
    expect(actions).toContain("move user:alice-adams");
    expect(actions.filter((a) => a.startsWith("create") || a.startsWith("delete"))).toEqual([]);
  });
});
