import { monitorTest } from "watchkeeper";
import { myService } from "../policies/oncall.js";
import { nightlyBackup } from "./nightly-backup.js";

/**
 * A monitor unit test: `wk test --unit` feeds these steps to the real alert state machine and
 * notification pipeline on a simulated clock, offline, and checks what would page. The backup
 * pings once a day; a ping more than 25 hours old (every 24h + grace 1h) pages the service.
 */
export const missedBackupPages = monitorTest({
  name: "nightly-backup pages when the backup misses its night",
  monitor: nightlyBackup,
  start: "2026-12-05T02:00:00Z",
  steps: [
    { at: "+0s", heartbeat: "received" },
    { at: "+24h", heartbeat: "missing" },
  ],
  expect: [
    { at: "+25h", alert: "inactive", notifications: [] },
    { at: "+25h5m", alert: "firing", notifications: [{ type: "trigger", destination: myService }] },
  ],
});
