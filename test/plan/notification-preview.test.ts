import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { run } from "../../cli/commands/plan.js";
import { diffPlan } from "../../cli/plan/build-plan.js";
import { CODE_SUMMARY_PLACEHOLDER, SAMPLE_AT } from "../../cli/plan/notification-preview.js";
import { renderJson } from "../../cli/plan/render-json.js";
import { renderMarkdown } from "../../cli/plan/render-markdown.js";
import { renderText } from "../../cli/plan/render-text.js";
import type { ChannelSpec } from "../../sdk/manifest/index.js";
import { alertKey } from "../../runtime/alerts/alert-key.js";
import { opsgenieCreateBody } from "../../runtime/notify/channels/opsgenie/opsgenie-alert.js";
import { emailSubject } from "../../runtime/notify/channels/email/email-notifier.js";
import { sampleManifest, sampleMonitor } from "../infra/sample-manifest.js";

const now = new Date("2026-11-23T00:00:00Z");
const fromFile = { kind: "file" as const, ref: "deployed-manifest.json" };
const common = { baseUrl: null, groupWait: null, groupInterval: null, rateLimitPerMinute: null, source: "policies/channels.ts" };
const channels: ChannelSpec[] = [
  { ...common, id: "oncall-slack", kind: "slack", webhookUrl: { secret: "SLACK_WEBHOOK" }, channel: "#oncall" },
  { ...common, id: "ops-mail", kind: "email", smtp: { host: "smtp.example.test", port: 587, secure: false, user: "wk", password: { secret: "SMTP_PASSWORD" } }, from: "wk@example.test", to: ["ops@example.test"] },
  { ...common, id: "ops-genie", kind: "opsgenie", apiKey: { secret: "OPSGENIE_KEY" }, region: "eu", responders: [{ type: "team", name: "payments" }], tags: ["payments"] },
];

/** The sample project with a PromQL monitor paging a service (routing key as a secret) and three channels. */
function manifestWith(summary: string, edit: (m: ReturnType<typeof sampleMonitor>) => void = () => {}) {
  return sampleManifest((d) => {
    d.services[0]!.routingKey = { secret: "PAGERDUTY_ROUTING_PAYMENTS" };
    d.channels = structuredClone(channels);
    d.secrets = ["API_TOKEN", "OPSGENIE_KEY", "PAGERDUTY_ROUTING_PAYMENTS", "SLACK_WEBHOOK", "SMTP_PASSWORD"];
    const m = sampleMonitor("checkout-errors", {
      name: "Checkout errors",
      check: { kind: "prometheus", server: "http://prometheus.test:9090", query: "rate(errors[5m]) > 0.05", headers: {}, timeout: "10s" },
      threshold: { op: ">", value: 0.05 },
      channels: ["oncall-slack", "ops-mail", "ops-genie"],
      labels: { team: "payments" },
      summary,
      runbook: "https://runbooks.example.test/checkout",
    });
    edit(m);
    d.monitors.push(m);
  });
}

describe("notification preview in the plan", () => {
  test("a new monitor previews the exact trigger message for each destination, from the runtime's builders", () => {
    const base = sampleManifest();
    const target = manifestWith("{{name}} on {{labels.instance}}: {{value}} errors/s");
    const plan = diffPlan({ base, baseSource: fromFile, target, now }, [], []);
    expect(plan.notifications.map((p) => p.monitor)).toEqual(["checkout-errors"]);
    const [preview] = plan.notifications;
    // The sample fires the threshold and names every label the summary uses.
    expect(preview!.sample).toEqual({ value: 0.1, labels: { instance: "<instance>" }, at: new Date(SAMPLE_AT).toISOString() });
    expect(preview!.messages.map((m) => [m.destination, m.kind, m.changed])).toEqual([
      ["service:payments-api", "pagerduty", true],
      ["channel:oncall-slack", "slack", true],
      ["channel:ops-mail", "email", true],
      ["channel:ops-genie", "opsgenie", true],
    ]);
    const byKind = Object.fromEntries(preview!.messages.map((m) => [m.kind, m.after as Record<string, unknown>]));
    const labels = { instance: "<instance>", team: "payments" };
    expect(byKind["pagerduty"]).toMatchObject({
      routing_key: "<secret PAGERDUTY_ROUTING_PAYMENTS>",
      event_action: "trigger",
      dedup_key: alertKey("checkout-errors", labels),
      payload: { summary: "Checkout errors on <instance>: 0.1 errors/s", severity: "critical", source: "<instance>", group: "payments-api", class: "prometheus" },
      links: [{ href: "https://runbooks.example.test/checkout", text: "Runbook" }, { href: expect.stringMatching(/^https:\/\/wk\.example\.test\/alerts\/wk-checkout-errors-[0-9a-f]{16}$/), text: "Alert page" }],
    });
    expect(byKind["slack"]).toMatchObject({ text: "[FIRING] Checkout errors on &lt;instance&gt;: 0.1 errors/s", channel: "#oncall" });
    expect(byKind["email"]).toMatchObject({ subject: "[FIRING] Checkout errors on <instance>: 0.1 errors/s", to: ["ops@example.test"] });
    expect(String(byKind["email"]!["text"])).toContain("Label team: payments");
    const monitor = target.monitors.find((m) => m.id === "checkout-errors")!;
    const intentLike = { id: "x", type: "trigger" as const, monitorId: monitor.id, dedupKey: alertKey(monitor.id, labels), labels, severity: monitor.severity, summary: "Checkout errors on <instance>: 0.1 errors/s", value: 0.1, details: {}, at: SAMPLE_AT, firedAt: SAMPLE_AT };
    expect(byKind["opsgenie"]).toMatchObject({ ...opsgenieCreateBody(intentLike, { manifest: target, monitor }, channels[2] as Extract<ChannelSpec, { kind: "opsgenie" }>), details: expect.any(Object), description: expect.any(String) });
    expect(byKind["email"]!["subject"]).toBe(emailSubject(intentLike));
  });

  test("a changed summary shows before and after where the message differs, and only after where it does not", () => {
    const base = manifestWith("Checkout errors: {{value}}/s");
    const target = manifestWith("Checkout errors above 0.05/s: {{value}}/s", (m) => (m.channels = ["oncall-slack"]));
    const plan = diffPlan({ base, baseSource: fromFile, target, now }, [], []);
    const [preview] = plan.notifications;
    const pd = preview!.messages.find((m) => m.kind === "pagerduty")!;
    expect(pd.changed).toBe(true);
    expect((pd.before as { payload: { summary: string } }).payload.summary).toBe("Checkout errors: 0.1/s");
    expect((pd.after as { payload: { summary: string } }).payload.summary).toBe("Checkout errors above 0.05/s: 0.1/s");
    // Channels the monitor no longer sends to are shown as such.
    const mail = preview!.messages.find((m) => m.kind === "email")!;
    expect(mail.changed).toBe(true);
    expect(mail.after).toBeUndefined();
    expect(mail.before).toBeDefined();

    const md = renderMarkdown(plan);
    expect(md).toContain("<details><summary>Notifications on trigger (1 monitor)</summary>");
    expect(md).toContain("<details><summary><code>checkout-errors</code>: PagerDuty, Slack, Email, OpsGenie (4 changed)</summary>");
    expect(md).toContain("**PagerDuty (Events API v2)** to `service:payments-api` — changed");
    expect(md).toContain("**Email** to `channel:ops-mail` — no longer sent");
    expect(md).toMatch(/Before:\n\n<pre lang="json">[^]*Checkout errors: 0\.1\/s[^]*After:\n\n<pre lang="json">[^]*Checkout errors above 0\.05\/s/);
    const text = renderText(plan, { color: false });
    expect(text).toContain("PagerDuty (Events API v2) service:payments-api (changed): Checkout errors above 0.05/s: 0.1/s");
    expect(JSON.parse(renderJson(plan)).notifications[0].monitor).toBe("checkout-errors");

    // A change that leaves the messages as they were shows them once, unchanged.
    const quiet = diffPlan({ base, baseSource: fromFile, target: manifestWith("Checkout errors: {{value}}/s", (m) => (m.for = "10m")), now }, [], []);
    expect(quiet.notifications[0]!.messages.every((m) => !m.changed && m.before === undefined && m.after !== undefined)).toBe(true);
  });

  test("a PagerDuty REST incident channel previews the runtime's request: service ID and token as placeholders, From as a header", () => {
    const incident = (id: string, service: string): ChannelSpec => ({ ...common, id, kind: "pagerdutyIncident", token: { secret: "PAGERDUTY_API_TOKEN" }, from: "oncall-bot@example.test", service, urgency: "high" });
    const target = manifestWith("Checkout errors: {{value}}/s", (m) => (m.channels = ["pd-rest", "pd-rest-literal"]));
    target.channels.push(incident("pd-rest", "payments-api"), incident("pd-rest-literal", "PXYZ123"));
    target.secrets.push("PAGERDUTY_API_TOKEN");
    const plan = diffPlan({ base: sampleManifest(), baseSource: fromFile, target, now }, [], []);
    const byDestination = Object.fromEntries(plan.notifications[0]!.messages.map((m) => [m.destination, m]));
    const rest = byDestination["channel:pd-rest"]!;
    expect(rest.kind).toBe("pagerdutyIncident");
    const monitor = target.monitors.find((m) => m.id === "checkout-errors")!;
    expect(rest.after).toEqual({
      method: "POST",
      url: "https://api.pagerduty.com/incidents",
      headers: {
        "content-type": "application/json",
        "user-agent": "watchkeeper",
        authorization: "Token token=<secret PAGERDUTY_API_TOKEN>",
        accept: "application/vnd.pagerduty+json;version=2",
        from: "oncall-bot@example.test",
      },
      body: {
        incident: {
          type: "incident",
          title: "Checkout errors: 0.1/s",
          service: { id: "<PagerDuty ID of service payments-api, known after wk deploy>", type: "service_reference" },
          urgency: "high",
          incident_key: alertKey(monitor.id, { team: "payments" }),
          body: { type: "incident_body", details: expect.stringContaining("Checkout errors: 0.1/s") },
        },
      },
    });
    // A literal PagerDuty service ID is sent as written.
    expect((byDestination["channel:pd-rest-literal"]!.after as { body: { incident: { service: unknown } } }).body.incident.service).toEqual({ id: "PXYZ123", type: "service_reference" });

    const text = renderText(plan, { color: false });
    expect(text).toContain("PagerDuty (REST incident) channel:pd-rest (new): Checkout errors: 0.1/s");
    const md = renderMarkdown(plan);
    expect(md).toContain("**PagerDuty (REST incident)** to `channel:pd-rest` — new");
    expect(md).toContain("POST https://api.pagerduty.com/incidents\nContent-Type: application/json\nUser-Agent: watchkeeper\nAuthorization: Token token=&lt;secret PAGERDUTY_API_TOKEN&gt;\nAccept: application/vnd.pagerduty+json;version=2\nFrom: oncall-bot@example.test\n\n{");
    expect(md).toContain('"id": "&lt;PagerDuty ID of service payments-api, known after wk deploy&gt;"');
    const json = JSON.parse(renderJson(plan));
    expect(json.notifications[0].messages.find((m: { destination: string }) => m.destination === "channel:pd-rest").after.headers.authorization).toBe("Token token=<secret PAGERDUTY_API_TOKEN>");
  });

  test("a summary function is named, not run, and user text cannot break out of the comment's markup", () => {
    const target = manifestWith("x", (m) => {
      m.code = { ...m.code, summary: true };
      m.labels = { team: "</pre></details><script>alert(1)</script>```" };
    });
    const plan = diffPlan({ base: sampleManifest(), baseSource: fromFile, target, now }, [], []);
    const pd = plan.notifications[0]!.messages[0]!.after as { payload: { summary: string } };
    expect(pd.payload.summary).toBe(CODE_SUMMARY_PLACEHOLDER);
    // The diff section above holds the label in a code fence; the preview holds it escaped in <pre>.
    const md = renderMarkdown(plan).split("Notifications on trigger")[1]!;
    expect(md).toContain("&lt;/pre&gt;&lt;/details&gt;&lt;script&gt;");
    expect(md).not.toContain("<script>");
    expect(md).not.toContain("```");
    expect(md.match(/<pre\b/g)!.length).toBe(md.match(/<\/pre>/g)!.length);
  });
});

/** A real project compiled by the real compiler, with canary secret values everywhere a runtime would find them. */
describe("wk plan never shows a secret in the preview", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wk-preview-"));
  const canaries = {
    PAGERDUTY_ROUTING_API: "canary-routing-key-5f1e2d3c4b5a69788796a5b4c3d2e1f0",
    SLACK_WEBHOOK_ONCALL: "https://hooks.slack.example/services/T000/B000/canary-slack-token-7a7a7a",
    OPSGENIE_API_KEY: "canary-opsgenie-key-0b0b0b0b",
    SMTP_PASSWORD: "canary-smtp-password-1c1c1c",
    PAGERDUTY_API_TOKEN: "canary-pagerduty-api-token-2d2d2d2d",
  };
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  };

  beforeAll(() => {
    write(
      "watchkeeper.config.ts",
      `import { config } from "watchkeeper";\nexport default config({ name: "preview-test", secrets: ${JSON.stringify(Object.keys(canaries))}, statusPage: { title: "Test" } });\n`,
    );
    write(
      "policies/oncall.ts",
      `import { channel, escalationPolicy, schedule, secret, service, user } from "watchkeeper";
export const ana = user({ id: "ana", name: "Ana", email: "ana@example.test" });
export const week = schedule({ id: "week", name: "Week", timeZone: "UTC", layers: [{ start: "2026-01-05T09:00:00Z", rotation: "1w", users: [ana] }] });
export const policy = escalationPolicy({ id: "policy", rules: [{ delay: "10m", targets: [week] }] });
export const api = service({ id: "api", name: "API", escalationPolicy: policy, routingKey: secret("PAGERDUTY_ROUTING_API") });
export const slack = channel.slack({ id: "oncall-slack", webhookUrl: secret("SLACK_WEBHOOK_ONCALL"), channel: "#oncall" });
export const genie = channel.opsgenie({ id: "genie", apiKey: secret("OPSGENIE_API_KEY") });
export const mail = channel.email({ id: "mail", smtp: { host: "smtp.example.test", port: 587, user: "wk", password: secret("SMTP_PASSWORD") }, from: "wk@example.test", to: ["ops@example.test"] });
export const incident = channel.pagerdutyIncident({ id: "incident", token: secret("PAGERDUTY_API_TOKEN"), from: "bot@example.test", service: api });
`,
    );
    write(
      "monitors/api.ts",
      `import { check, monitor } from "watchkeeper";
import { api, genie, mail, slack } from "../policies/oncall.js";
export const apiUp = monitor({
  id: "api-up",
  name: "API up",
  schedule: { every: "1m" },
  check: check.http({ url: "https://api.example.test/health" }),
  severity: "critical",
  service: api,
  channels: [slack, genie, mail],
  summary: "API is down: {{message}}",
});
`,
    );
    // Summary functions that try to put a secret into the page: from the environment, and from the
    // file where a runtime finds the routing keys (spelled so that only the sandbox, not a lint rule, stops them).
    write(
      "monitors/leaky.ts",
      `import { check, monitor } from "watchkeeper";
import { incident, slack } from "../policies/oncall.js";
declare const process: any;
declare const require: (name: string) => any;
const common = { schedule: { every: "1m" as const }, check: check.http({ url: "https://api.example.test/health" }), severity: "warning" as const, channels: [slack, incident] };
export const leakEnv = monitor({ ...common, id: "leak-env", name: "Leak env", summary: () => "key " + String(process["e" + "nv"]["PAGERDUTY_ROUTING_API"]) });
export const leakFile = monitor({ ...common, id: "leak-file", name: "Leak file", summary: () => "keys " + String(require("node:fs").readFileSync(${JSON.stringify(join(dir, ".watchkeeper", "routing-keys.json"))}, "utf8")) });
export const leakAll = monitor({ ...common, id: "leak-all", name: "Leak all", summary: () => JSON.stringify(process["e" + "nv"]) });
`,
    );
    // Where a runtime would find routing keys written by wk deploy.
    write(".watchkeeper/routing-keys.json", JSON.stringify({ api: canaries.PAGERDUTY_ROUTING_API }));
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("in text, Markdown and JSON, with every secret set in the environment, whatever a summary function tries", async () => {
    for (const [name, value] of Object.entries(canaries)) vi.stubEnv(name, value);
    try {
      for (const format of ["text", "markdown", "json"]) {
        const out: string[] = [];
        const o = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
        const e = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
        let code: number;
        try {
          code = await run({ project: dir, format });
        } finally {
          o.mockRestore();
          e.mockRestore();
        }
        const all = out.join("");
        // The refused summaries are warnings: the exit code stays what the plan's rules say.
        expect(code, all).toBe(0);
        expect(all).toContain(format === "text" ? "Notifications on trigger" : format === "markdown" ? "Notifications on trigger (4 monitors)" : '"notifications"');
        if (format !== "text") {
          expect(all).toContain("secret PAGERDUTY_ROUTING_API");
          expect(all).toContain("API is down: sample result");
          expect(all).toContain(format === "json" ? "Token token=<secret PAGERDUTY_API_TOKEN>" : "Token token=&lt;secret PAGERDUTY_API_TOKEN&gt;");
        }
        expect(all).toMatch(/the summary function at monitors\/leaky\.ts:\d+ reads process\.env\.PAGERDUTY_ROUTING_API/);
        expect(all).toMatch(/the summary function at monitors\/leaky\.ts:\d+ tries to read \S*routing-keys\.json/);
        expect(all).toMatch(/the summary function at monitors\/leaky\.ts:\d+ reads process\.env:/);
        for (const [name, value] of Object.entries(canaries)) {
          expect(all, `${format} output holds ${name}`).not.toContain(value);
          expect(all).not.toContain(value.slice(-12));
        }
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
