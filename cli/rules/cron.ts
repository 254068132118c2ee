import { Cron } from "croner";
import { normalizeCron } from "../../sdk/cron.js";

export { normalizeCron };

/** Why a cron expression is unusable, or null when croner accepts it and it fires at some point. */
export function cronProblem(expression: string, timeZone: string, now: Date): string | null {
  const trimmed = expression.trim();
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
  if (next === null) return "the expression never fires";
  return null;
}
