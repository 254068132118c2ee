import { Cron } from "croner";
import { normalizeCron } from "../../sdk/cron.js";

/**
 * The sdk's normalisation (Quartz `?` becomes `*`, nicknames pass), with the field count checked.
 * Day-of-week numbers keep the cron convention (0 or 7 = Sunday); names (MON-FRI) are safe either way.
 */
export function normaliseCron(expression: string): string {
  const normalized = normalizeCron(expression);
  if (normalized.startsWith("@")) return normalized;
  const fields = normalized.split(" ");
  if (fields.length < 5 || fields.length > 6) {
    throw new Error(`cron expression ${JSON.stringify(expression)} must have 5 fields, or 6 with seconds first`);
  }
  return normalized;
}

/** A cron schedule in an IANA time zone that answers "when next after t" without timers of its own. */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(expression: string, timezone: string) {
    // paused and without a function: croner only computes times, our scheduler owns the timers.
    this.cron = new Cron(normaliseCron(expression), { timezone, paused: true });
  }

  /** The first run strictly after `t` (ms), or null when the expression never matches again. */
  nextAfter(t: number): number | null {
    const next = this.cron.nextRun(new Date(t));
    return next ? next.getTime() : null;
  }
}
