import { monitorTest } from "watchkeeper";
import { oncallSlack, platformOpsgenie } from "../../policies/channels.js";
import { workflowEngine } from "../../policies/services.js";
import { failedWorkflowRuns } from "./failed-runs.js";

// The workflow scenario: the poll over the last 10 minutes pages at the first FAILED run, through
// the service, Slack and OpsGenie, and resolves once no failure is left in the window.

const runs = (total: number) => ({ status: 200, body: { total, runs: [] } });

export const failedRunPagesEverywhere = monitorTest({
  name: "workflow-failed-runs pages the service, Slack and OpsGenie at the first failed run and resolves when the window is clean",
  monitor: failedWorkflowRuns,
  start: "2026-12-05T03:12:00Z",
  steps: [
    { at: "+0s", http: runs(0) },
    { at: "+3m", http: runs(2) },
    { at: "+13m", http: runs(0) },
  ],
  expect: [
    { at: "+2m", alert: "inactive", notifications: [] },
    {
      at: "+3m",
      alert: "firing",
      notifications: [
        { type: "trigger", destination: workflowEngine, dedupKey: "wk-workflow-failed-runs" },
        { type: "trigger", destination: oncallSlack },
        { type: "trigger", destination: platformOpsgenie },
      ],
    },
    { at: "+12m", alert: "firing", notifications: [] },
    {
      at: "+13m",
      alert: "inactive",
      notifications: [
        { type: "resolve", destination: workflowEngine },
        { type: "resolve", destination: oncallSlack },
        { type: "resolve", destination: platformOpsgenie },
      ],
    },
  ],
});

export const searchOutagePages = monitorTest({
  name: "workflow-failed-runs: a search API that answers 502 or cannot be reached pages too",
  monitor: failedWorkflowRuns,
  start: "2026-12-05T03:12:00Z",
  steps: [
    { at: "+0s", http: { status: 502, body: "Bad Gateway" } },
    { at: "+2m", error: "connect ETIMEDOUT", reason: "timeout" },
    { at: "+4m", http: runs(0) },
  ],
  expect: [
    { at: "+0s", alert: "firing", notifications: [{ type: "trigger", destination: workflowEngine }, { type: "trigger", destination: oncallSlack }, { type: "trigger", destination: platformOpsgenie }] },
    { at: "+3m", alert: "firing", notifications: [] },
    { at: "+4m", alert: "inactive" },
  ],
});
