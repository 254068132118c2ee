import { parseDuration } from "../../sdk/duration.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const FORBIDDEN_NAME_CHARS = /[/\\<>&]/;

/**
 * Limits PagerDuty's API enforces, caught before `wk deploy` fails halfway through: escalation
 * delays, loops, targets per rule, layer turn lengths, restriction lengths, service names.
 */
export function pagerdutyLimits(ctx: RuleContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (message: string, hint: string, entry: { source: string }) =>
    out.push(diagnostic("error", "pagerduty-limits", message, hint, ctx.locate(entry)));

  for (const p of ctx.manifest.escalationPolicies) {
    const name = `escalation policy "${p.id}"`;
    if (!Number.isInteger(p.loops) || p.loops < 0 || p.loops > 9) err(`${name}: loops is ${p.loops}; PagerDuty allows 0 to 9`, "set loops between 0 and 9", p);
    if (p.rules.length === 0) err(`${name} has no rules`, "add at least one rule with a delay and targets", p);
    p.rules.forEach((r, i) => {
      const delay = parseDuration(r.escalationDelay) ?? 0;
      if (delay < MINUTE) err(`${name} rule ${i + 1}: escalation delay ${r.escalationDelay} is under PagerDuty's minimum of 1 minute`, 'use a delay of at least "1m"', p);
      else if (delay % MINUTE !== 0) err(`${name} rule ${i + 1}: escalation delay ${r.escalationDelay} is not a whole number of minutes`, "PagerDuty counts escalation delays in minutes", p);
      if (r.targets.length < 1 || r.targets.length > 10) {
        err(`${name} rule ${i + 1} has ${r.targets.length} targets; PagerDuty allows 1 to 10`, "give each rule between 1 and 10 users or schedules", p);
      }
    });
  }

  for (const s of ctx.manifest.schedules) {
    s.layers.forEach((layer, i) => {
      const name = `schedule "${s.id}" layer ${i + 1}`;
      const turn = parseDuration(layer.rotationTurnLength) ?? 0;
      if (turn < HOUR || turn > YEAR) err(`${name}: rotation ${layer.rotationTurnLength} is outside PagerDuty's 1h to 1 year`, 'use a turn length between "1h" and "52w"', s);
      for (const r of layer.restrictions) {
        const length = parseDuration(r.duration) ?? 0;
        const max = r.type === "daily_restriction" ? DAY : 7 * DAY;
        const kind = r.type === "daily_restriction" ? "daily" : "weekly";
        if (length <= 0 || length > max) {
          err(`${name}: ${kind} restriction lasts ${r.duration}; it must be longer than 0 and at most ${kind === "daily" ? "1 day" : "1 week"}`, "shorten the restriction or use a weekly one", s);
        }
      }
    });
  }

  for (const s of ctx.manifest.services) {
    if (FORBIDDEN_NAME_CHARS.test(s.name)) {
      err(`service "${s.id}": name "${s.name}" contains one of / \\ < > &, which PagerDuty rejects`, "rename the service without those characters", s);
    }
  }
  return out;
}
