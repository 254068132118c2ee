import { check, diagnostic, monitor, secret } from "watchkeeper";
import { customerEmail, emergencyIncident } from "../../policies/channels.js";
import { webTeam } from "../../policies/teams.js";

/**
 * The customer's emergency button on the runtime's emergency page (password protected). A press
 * opens a high-urgency PagerDuty incident on the website service and emails the customer that it
 * was received; when the on-call engineer acknowledges, the customer is emailed again with who did.
 */
export const websiteEmergency = monitor({
  id: "website-emergency",
  name: "Website emergency (customer)",
  description: "Raised by the customer from the emergency page.",
  owner: webTeam,
  schedule: { every: "15s" },
  check: check.manual({ password: secret("EMERGENCY_PASSWORD"), title: "Website emergency" }),
  // The REST incident is the page (high urgency, set on the channel). No `service` here: it would
  // page a second time through Events v2; the incident channel is this critical monitor's route.
  severity: "critical",
  channels: [emergencyIncident, customerEmail],
  notifyOnAcknowledge: [customerEmail],
  labels: { team: "web", source: "customer" },
  summary: "Customer emergency: {{message}}",
  runbook: "https://runbooks.example.com/web/customer-emergency",
  diagnostics: [
    diagnostic.dns({ name: "www.example.com" }),
    diagnostic.httpSweep({ urls: ["https://www.example.com/", "https://www.example.com/login", "https://api.example.com/health"] }),
    diagnostic.hostLoad({ loadavgFile: "/proc/loadavg", meminfoFile: "/proc/meminfo" }),
  ],
});
