import { config } from "watchkeeper";

/** This repository's own monitoring: the website, the checkout microservice and the workflow engine. */
export default config({
  name: "watchkeeper-self",
  monitors: ["monitors/**/*.ts"],
  policies: ["policies/**/*.ts"],
  // Scenario tests of the monitors above (`wk test --unit`); the fixtures under test/ are not ours.
  tests: ["monitors/**/*.wktest.ts"],
  // Names only; values come from the runtime's environment or mounted files.
  secrets: [
    "EMERGENCY_PASSWORD",
    "OPSGENIE_API_KEY",
    "PAGERDUTY_API_TOKEN",
    "PAGERDUTY_ROUTING_CHECKOUT",
    "PAGERDUTY_ROUTING_WEBSITE",
    "PAGERDUTY_ROUTING_WORKFLOWS",
    "SLACK_WEBHOOK_ONCALL",
    "SMTP_PASSWORD",
    "UPTIME_WEBHOOK_TOKEN",
    "WORKFLOW_API_TOKEN",
  ],
  defaults: { timezone: "Europe/Berlin", severity: "error" },
  statusPage: { title: "Example Corp status" },
  // This repository is the demo `npm start` runs: its internal views are open to read, so a first
  // look needs no token. Projects keep the default (closed; the API token or a sign-in opens them),
  // and writes (silences) need the token either way.
  runtime: { openReads: true },
});
