import { escalationPolicy, schedule, secret, service, user } from "watchkeeper";

/** People who carry the pager (replace with your team; the email is their PagerDuty login). */
export const alex = user({
  id: "alex-rivera",
  name: "Alex Rivera",
  email: "alex.rivera@example.com",
});

/** A second person: with one, a critical alert reaches nobody on their day off (rule single-responder). */
export const sam = user({
  id: "sam-okoye",
  name: "Sam Okoye",
  email: "sam.okoye@example.com",
});

/** Around the clock, one person per week in turn, handing over on Mondays at 09:00 UTC. */
export const primaryOnCall = schedule({
  id: "primary-on-call",
  name: "Primary on-call",
  timeZone: "UTC",
  layers: [
    {
      name: "Weekly",
      start: "2026-01-05T09:00:00Z",
      rotation: "1w",
      users: [alex, sam],
    },
  ],
});

/** Page whoever is on call; if nobody acknowledges within 30 minutes, page them again. */
export const defaultEscalation = escalationPolicy({
  id: "default-escalation",
  name: "Default escalation",
  loops: 1,
  rules: [{ delay: "30m", targets: [primaryOnCall] }],
});

/** The PagerDuty service monitors page through. Its Events API v2 routing key is a secret. */
export const myService = service({
  id: "my-service",
  name: "My Service",
  escalationPolicy: defaultEscalation,
  urgency: "high",
  autoResolveTimeout: null,
  acknowledgementTimeout: "1h",
  routingKey: secret("PAGERDUTY_ROUTING_KEY"),
});
