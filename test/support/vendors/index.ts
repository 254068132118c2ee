export { RecordingServer, MinuteWindow, type RecordedRequest, type Fault, type VendorAnswer } from "./recording-server.js";
export { PagerDutyServer, eventErrors, PAGERDUTY_MAX_EVENT_BYTES } from "./pagerduty-server.js";
export { OpsgenieServer, OPSGENIE_DETAILS_MAX, createAlertErrors, alertActionErrors } from "./opsgenie-server.js";
export { SlackServer, slackError, slackRefusal, SLACK_TEXT_KEPT, type SlackRefusal, type WebhookState } from "./slack-server.js";
export { VendorSchemas, vendorSchemas, schemaDir, describeProblem, type SchemaProblem, type SchemaCheck } from "./vendor-schemas.js";
export { WebhookReceiver } from "./generic-webhook-server.js";
export { SmtpFixture, type ReceivedMail, type SmtpMode } from "./smtp-fixture.js";
