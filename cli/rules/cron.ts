import { Cron } from "croner";
import { normalizeCron } from "../../sdk/cron.js";

export { normalizeCron };

/** A valid expression whose day never comes: what cronProblem says of it. */
export const NEVER_FIRES = "the expression never fires";

/** Why a cron expression is unusable, or null when croner accepts it and it fires at some point. */
export function cronProblem(expression: string, timeZone: string, now: Date): string | null {
  const trimmed = expression.trim();
  if (trimmed === "") return "the expression is empty";
  if (!trimmed.startsWith("@")) {
    const fields = trimmed.split(/\s+/);
    if (fields.length === 7) return "7 fields (Quartz with a year) are not supported; drop the year field";
    if (fields.length !== 5 && fields.length !== 6) return `expected 5 fields (minute hour day month weekday) or 6 (seconds first), got ${fields.length}`;
    const offset = fields.length - 5;
    const misplaced = fields.findIndex((f, i) => f.includes("?") && i !== 2 + offset && i !== 4 + offset);
    if (misplaced >= 0) return "`?` is only allowed in the day-of-month or day-of-week field";
  }
  let next: Date | null;
  try {
    next = new Cron(normalizeCron(trimmed), { paused: true, timezone: timeZone }).nextRun(now);
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, "");
  }
  if (next === null) return NEVER_FIRES;
  return null;
}

/**
 * Whether a 6-field expression's seconds field matches every second (`*`, `*\/1`, `0-59`, ...).
 * Such a cron is nearly always a 5-field expression with a seconds field put in front of it by
 * mistake ("* * * * * *" for "every minute"): the runtime would run the check sixty times a minute
 * and each tick would skip while the last one still runs. Judged by croner itself, so every
 * spelling of "all 60 seconds" counts.
 */
export function firesEverySecond(expression: string): boolean {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) return false;
  let cron: Cron;
  try {
    cron = new Cron(`${fields[0]} 0 0 1 1 *`, { paused: true, timezone: "UTC" });
  } catch {
    return false;
  }
  // The seconds of one minute the field matches: all 60 means every second.
  const minute = Date.UTC(2030, 0, 1, 0, 0, 0);
  let at = new Date(minute - 1);
  for (let second = 0; second < 60; second++) {
    const next = cron.nextRun(at);
    if (next === null || next.getTime() !== minute + second * 1000) return false;
    at = next;
  }
  return true;
}
