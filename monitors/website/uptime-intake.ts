import { check, diagnostic, monitor, secret } from "watchkeeper";
import { website } from "../../policies/services.js";
import { webTeam } from "../../policies/teams.js";

/**
 * The outside view: an uptime service (NodePing) probes www.example.com from several regions and
 * posts up/down reports to `/webhooks/uptime/website-uptime-service`, authenticated by a token.
 * Each tick evaluates the latest report; no report yet counts as up.
 */
export const websiteUptimeService = monitor({
  id: "website-uptime-service",
  name: "Website (uptime service)",
  owner: webTeam,
  schedule: { every: "30s" },
  check: check.webhook({ format: "nodeping", token: secret("UPTIME_WEBHOOK_TOKEN") }),
  severity: "critical",
  service: website,
  labels: { team: "web", source: "nodeping" },
  summary: "Uptime service reports www.example.com down: {{message}}",
  runbook: "https://runbooks.example.com/web/site-down",
  diagnostics: [
    diagnostic.dns({ name: "www.example.com" }),
    diagnostic.httpSweep({ urls: ["https://www.example.com/", "https://api.example.com/health"] }),
  ],
});
