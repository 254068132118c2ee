import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Markup and script a hostile author, check target or agent could put into text we show. */
export const XSS = `<img src=x onerror="window.__xss=(window.__xss||0)+1"><script>window.__xss=(window.__xss||0)+1</script>`;

/** A secret's value (the uptime token) that a diagnostic's text carries: pages must show it redacted. */
export const DIAGNOSTICS_CANARY = "uptime-token-views";

/**
 * A small project with real monitors on loopback targets: an HTTP API (`target` decides whether it
 * answers 200 or 500), a website, a script whose output carries markup, and an uptime webhook;
 * a schedule, escalation policy and PagerDuty service; and a public status page naming two monitors.
 */
export async function writeViewsProject(dir: string, target: string): Promise<void> {
  await mkdir(join(dir, "monitors"), { recursive: true });
  await mkdir(join(dir, "policies"), { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "views-project", private: true, type: "module" }));
  await writeFile(
    join(dir, "watchkeeper.config.ts"),
    `import { config } from "watchkeeper";

export default config({
  name: "acme",
  statusPage: { title: "Acme team view" },
  secrets: ["WATCHKEEPER_API_TOKEN", "PD_ROUTING_SHOP", "PAGERDUTY_WEBHOOK_SECRET", "UPTIME_TOKEN"],
  rules: { "reachable-on-call": "off", "oncall-coverage": "off" },
});
`,
  );
  await writeFile(
    join(dir, "policies", "oncall.ts"),
    `import { escalationPolicy, schedule, secret, service, team, user } from "watchkeeper";

export const grace = user({ id: "grace", name: "Grace Hopper", email: "grace@example.com" });
export const alan = user({ id: "alan", name: "Alan Turing", email: "alan@example.com" });
export const shopTeam = team({ id: "shop", name: "Shop team", members: [grace, alan] });

export const rotation = schedule({
  id: "shop-rotation",
  name: "Shop rotation",
  timeZone: "UTC",
  layers: [{ start: "2026-01-05T00:00:00", rotation: "1w", users: [grace, alan] }],
});

export const policy = escalationPolicy({ id: "shop-escalation", name: "Shop escalation", rules: [{ delay: "10m", targets: [rotation] }, { delay: "10m", targets: [alan] }] });

export const shop = service({ id: "shop-api", name: "Shop API", escalationPolicy: policy, team: shopTeam, routingKey: secret("PD_ROUTING_SHOP") });
`,
  );
  await writeFile(
    join(dir, "monitors", "shop.ts"),
    `import { check, diagnostic, monitor, secret, statusPage } from "watchkeeper";
import { shop } from "../policies/oncall.js";

export const api = monitor({
  id: "checkout-api",
  name: "Checkout API",
  description: "The checkout API answers on /api.",
  schedule: { every: "1s" },
  check: check.http({ url: "${target}/api", timeout: "2s" }),
  severity: "critical",
  service: shop,
  runbook: "https://runbooks.example.com/checkout",
  labels: { env: "prod" },
});

export const website = monitor({
  id: "website",
  name: "Website",
  schedule: { every: "2s" },
  check: check.http({ url: "${target}/web", timeout: "2s" }),
  severity: "warning",
  service: shop,
});

export const script = monitor({
  id: "script-output",
  name: ${JSON.stringify(`Nightly export ${XSS}`)},
  schedule: { every: "5s" },
  check: check.script({ run: async () => ({ ok: true, value: 1, message: ${JSON.stringify(`export done ${XSS}`)} }) }),
  severity: "info",
});

export const uptime = monitor({
  id: "uptime-webhook",
  name: "Uptime service",
  schedule: { every: "5s" },
  check: check.webhook({ format: "generic", token: secret("UPTIME_TOKEN") }),
  severity: "info",
  // Diagnostics whose text carries markup and a secret's value (a file path that names it): the pages show neither as such.
  diagnostics: [diagnostic.hostLoad({ loadavgFile: ${JSON.stringify(`/nonexistent/${XSS}`)}, meminfoFile: "/nonexistent/" + ${JSON.stringify(DIAGNOSTICS_CANARY)} })],
});

export const publicPage = statusPage({
  id: "public",
  title: "Acme status",
  description: "How Acme's services are doing.",
  groups: [
    { name: "Checkout", monitors: [api] },
    { name: "Website", monitors: [website] },
  ],
});
`,
  );
}
