import { channel, secret } from "watchkeeper";
import { noahBergmann } from "./people.js";
import { website } from "./services.js";

/** The shared on-call Slack channel (incoming webhook; the URL is a credential). */
export const oncallSlack = channel.slack({
  id: "oncall-slack",
  webhookUrl: secret("SLACK_WEBHOOK_ONCALL"),
  channel: "#oncall",
});

/** OpsGenie for the platform team, who run their own OpsGenie rotations next to PagerDuty. */
export const platformOpsgenie = channel.opsgenie({
  id: "platform-opsgenie",
  apiKey: secret("OPSGENIE_API_KEY"),
  region: "eu",
  responders: [{ type: "team", name: "Platform" }],
  tags: ["watchkeeper", "workflows"],
});

/** The website's customer contact: told when an emergency is raised and when it is acknowledged. */
export const customerEmail = channel.email({
  id: "customer-email",
  smtp: { host: "smtp.example.com", port: 587, user: "alerts@example.com", password: secret("SMTP_PASSWORD") },
  from: "Example Operations <alerts@example.com>",
  to: "it-operations@northwind.example.com",
  // An emergency mail should leave at once, not wait for a batch.
  groupWait: "0s",
});

/**
 * Opens a high-urgency PagerDuty incident on the website service through the REST API, as the web
 * lead; used by the emergency button so a person-declared emergency is an incident, not an alert.
 */
export const emergencyIncident = channel.pagerdutyIncident({
  id: "emergency-incident",
  token: secret("PAGERDUTY_API_TOKEN"),
  from: noahBergmann.email,
  service: website,
  urgency: "high",
});
