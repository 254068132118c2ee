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
  /** Names of every secret the project may reference; values are never in the repo. */
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
  /** Public URL of the runtime (links, PagerDuty webhook subscription). */
  publicUrl?: string;
}

/** The project's `watchkeeper.config.ts` default export. */
export function config(props: ProjectConfig): ProjectConfig {
  return Object.freeze({ ...props });
}
