import { durationMs } from "../../sdk/duration.js";

/** Whole seconds of a manifest duration (PagerDuty counts turn lengths and timeouts in seconds). */
export function durationSeconds(duration: string): number {
  return Math.round(durationMs(duration) / 1000);
}

/** Whole minutes, at least 1 (escalation delays are minutes and PagerDuty rejects 0). */
export function durationMinutes(duration: string): number {
  return Math.max(1, Math.round(durationMs(duration) / 60_000));
}

/** PagerDuty's timeout fields take seconds as a string, or the literal "null" to disable. */
export function timeoutSetting(duration: string | null): string {
  return duration === null ? "null" : String(durationSeconds(duration));
}
