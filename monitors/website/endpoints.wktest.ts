import { feed, monitorTest } from "watchkeeper";
import { website } from "../../policies/services.js";
import { websiteHome, websiteSiteDown } from "./endpoints.js";

// The website scenario: an endpoint pages only after two failed checks in a row and a minute
// pending; when the whole site is down, the site-down monitor fires first and mutes the endpoint.

const healthy = { status: 200, body: "<title>Example</title>", certificateExpires: "2027-06-01T00:00:00Z" } as const;
const broken = { status: 503, body: "<title>Unavailable</title>", certificateExpires: "2027-06-01T00:00:00Z" } as const;

export const homePagesAfterTwoFailuresAndAMinute = monitorTest({
  name: "website-home pages after two failures and a minute pending, resolves after two passes",
  monitor: websiteHome,
  start: "2026-12-05T03:12:00Z",
  steps: [
    { at: "+0s", http: healthy },
    { at: "+1m", http: broken },
    { at: "+5m", http: healthy },
  ],
  expect: [
    { at: "+1m", alert: "inactive", notifications: [] },
    { at: "+1m30s", alert: "pending" },
    { at: "+2m", alert: "pending", notifications: [] },
    { at: "+2m30s", alert: "firing", notifications: [{ type: "trigger", destination: website, dedupKey: "wk-website-home" }] },
    { at: "+5m", alert: "firing", notifications: [] },
    { at: "+5m30s", alert: "inactive", notifications: [{ type: "resolve", destination: website }] },
  ],
});

export const slowHomePageFails = monitorTest({
  name: "website-home counts an answer slower than 2s as a failure",
  monitor: websiteHome,
  start: "2026-12-05T03:12:00Z",
  steps: [{ at: "+0s", http: { ...healthy, latency: "2500ms" } }],
  expect: [
    { at: "+30s", alert: "pending" },
    { at: "+1m30s", alert: "firing", notifications: [{ type: "trigger", destination: website }] },
  ],
});

export const siteDownMutesTheEndpoint = monitorTest({
  name: "site down: the site-down page goes out and the home page's is inhibited",
  monitor: websiteHome,
  start: "2026-12-05T03:12:00Z",
  steps: [
    { at: "+0s", http: healthy },
    { at: "+1m", error: "connect ECONNREFUSED 93.184.215.14:443", reason: "unreachable" },
  ],
  others: [
    feed(websiteSiteDown, [
      { at: "+0s", script: { ok: true, value: 3, message: "3 of 3 endpoints answer" } },
      { at: "+1m", script: { ok: false, value: 0, message: "0 of 3 endpoints answer" } },
    ]),
  ],
  expect: [
    { at: "+2m30s", alert: "firing", notifications: [] },
    { at: "+4m", alert: "firing", notifications: [] },
  ],
});
