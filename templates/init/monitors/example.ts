import { check, monitor } from "watchkeeper";
import { myService } from "../policies/oncall.js";

/** The home page answers 200 within 2 seconds; two failures in a row page the on-call person. */
export const homePage = monitor({
  id: "home-page",
  name: "Home page",
  schedule: { every: "1m" },
  check: check.http({
    url: "https://example.com/",
    expect: { status: 200, maxLatency: "2s", tlsExpiryWithin: "14d" },
  }),
  failureThreshold: 2,
  severity: "critical",
  service: myService,
  summary: "{{name}} is failing: {{message}}",
  runbook: "https://example.com/runbooks/home-page",
});
