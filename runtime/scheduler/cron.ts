import { Cron } from "croner";

/**
 * Normalises the cron forms the sdk accepts to what croner understands. Quartz's `?` means "no
 * specific value" in day-of-month or day-of-week, but croner substitutes the current time for `?`,
 * which would make the schedule depend on when the process started; so `?` becomes `*`.
 * Day-of-week numbers keep the cron convention (0 or 7 = Sunday); names (MON-FRI) are safe either way.
 */
export function normaliseCron(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 5 || fields.length > 6) {
    throw new Error(`cron expression ${JSON.stringify(expression)} must have 5 fields, or 6 with seconds first`);
  }
  return fields.map((f) => (f === "?" ? "*" : f)).join(" ");
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
