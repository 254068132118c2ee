import { check, monitor } from "watchkeeper";
import { myService } from "../policies/oncall.js";

/**
 * The nightly backup job pings the runtime when it finishes (`curl -X POST
 * https://watchkeeper.example.com/heartbeat/nightly-backup` as its last step); a missing ping
 * pages. Nothing is fetched to check it, so `npm test` runs it offline.
 */
export const nightlyBackup = monitor({
  id: "nightly-backup",
  name: "Nightly backup",
  schedule: { every: "5m" },
  check: check.heartbeat({ every: "24h", grace: "1h" }),
  severity: "warning",
  service: myService,
  summary: "{{name}} did not report: {{message}}",
  runbook: "https://example.com/runbooks/nightly-backup",
});
