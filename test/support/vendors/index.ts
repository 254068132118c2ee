export { RecordingServer, MinuteWindow, type RecordedRequest, type Fault, type VendorAnswer } from "./recording-server.js";
export { PagerDutyServer, eventErrors } from "./pagerduty-server.js";
export { OpsgenieServer } from "./opsgenie-server.js";
export { SlackServer, slackError } from "./slack-server.js";
export { WebhookReceiver } from "./generic-webhook-server.js";
export { SmtpFixture, type ReceivedMail, type SmtpMode } from "./smtp-fixture.js";
