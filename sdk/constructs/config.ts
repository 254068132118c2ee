import type { Channel } from "./channels.js";
import type { Severity } from "./monitor.js";

export type RuleLevel = "error" | "warning" | "notice" | "off";

export interface ProjectConfig {
  /** Project name, shown on the status page and in the manifest. */
  name: string;
  /** Globs (relative to the project folder) of modules that hold monitors. */
  monitors?: string[];
  /** Globs of modules that hold users, teams, schedules, escalation policies, services. */
  policies?: string[];
  /** Globs of monitor unit test modules run by `wk test --unit` (default `**\/*.wktest.ts`). */
  tests?: string[];
  /**
   * Names of every secret the project may reference; values are never in the repo. Not the
   * runtime's own (`WATCHKEEPER_API_TOKEN`, `PAGERDUTY_WEBHOOK_SECRET`), nor `WK_*`, `WATCHKEEPER_*`
   * or `NODE_*` (docs/compiler.md, "Reserved secret names").
   */
  secrets?: string[];
  defaults?: {
    /** IANA time zone for cron schedules without one (default UTC). */
    timezone?: string;
    severity?: Severity;
    /** Channels every monitor also notifies. */
    channels?: Channel[];
  };
  /** Turn named rules off or change their severity. */
  rules?: Record<string, RuleLevel>;
  statusPage?: { title?: string };
  /**
   * Public URL of the runtime (links, PagerDuty webhook subscription): `https://host[:port][/path]`,
   * without credentials, query or fragment.
   */
  publicUrl?: string;
  /** How the runtime guards and keeps its state; every field has a safe default (docs/security.md). */
  runtime?: {
    /** Serve `/api/*` details and internal views without the API token (default false: the status page alone is public). */
    openReads?: boolean;
    /** Longest silence the API accepts (default "14d"). */
    maxSilence?: string;
    /** PagerDuty webhook events older than this are refused as replays (default "10m"). */
    webhookMaxAge?: string;
    /**
     * How long stored records are kept (defaults: results 48h, notifications 30d, silences 30d,
     * inbound 7d, resolvedAlerts 30d, rollups 90d for hourly and minuteRollups 7d for per-minute
     * latency and failure rollups).
     */
    retention?: Partial<Record<"results" | "notifications" | "silences" | "inbound" | "resolvedAlerts" | "rollups" | "minuteRollups", string>>;
  };
  /** How the compiler loads the project's modules. */
  load?: {
    /** Wall-clock limit for loading all modules in the sandbox (default "30s"). */
    timeout?: string;
  };
}

/** The project's `watchkeeper.config.ts` default export. */
export function config(props: ProjectConfig): ProjectConfig {
  return Object.freeze({ ...props });
}
