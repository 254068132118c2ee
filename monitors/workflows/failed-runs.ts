import { check, monitor, secret } from "watchkeeper";
import { oncallSlack, platformOpsgenie } from "../../policies/channels.js";
import { workflowEngine } from "../../policies/services.js";
import { platformTeam } from "../../policies/teams.js";

/**
 * Every minute, ask the workflow API how many runs FAILED in the last 10 minutes and page when
 * there is at least one. The window slides with each tick (`from = tick - 10m, to = tick`), so a
 * failure keeps the alert firing for 10 minutes and it resolves by itself once no failure is left
 * in the window; overlapping windows never double-page because the alert is one per monitor.
 */
export const failedWorkflowRuns = monitor({
  id: "workflow-failed-runs",
  name: "Failed workflow runs",
  description: "Workflow runs that ended FAILED within the last 10 minutes.",
  owner: platformTeam,
  // Quartz style: second 0 of every minute; `?` means "no particular day".
  schedule: "0 * * ? * *",
  check: check.httpWindow({
    url: "https://workflows.example.com/api/v1/runs/search",
    method: "POST",
    // The secret holds the whole header value, e.g. "Bearer <token>".
    headers: { authorization: secret("WORKFLOW_API_TOKEN"), "content-type": "application/json" },
    body: {
      status: "FAILED",
      startedAfter: "{{from}}",
      startedBefore: "{{to}}",
      // Only the count is needed; do not page through the runs themselves.
      pageSize: 0,
    },
    window: "10m",
    timeFormat: "iso",
    // The search answers `{ "total": 3, "runs": [...] }`.
    extract: "total",
    timeout: "20s",
  }),
  threshold: { op: ">", value: 0 },
  severity: "error",
  service: workflowEngine,
  channels: [oncallSlack, platformOpsgenie],
  labels: { team: "platform", component: "workflow-engine" },
  summary: "{{value}} workflow run(s) FAILED in the last 10 minutes",
  runbook: "https://runbooks.example.com/platform/failed-workflow-runs",
});
