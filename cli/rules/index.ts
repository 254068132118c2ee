import type { Diagnostic } from "../compiler/types.js";
import { criticalRoutesToService } from "./critical-routes-to-service.js";
import { declaredSecrets } from "./declared-secrets.js";
import { endingLayer } from "./ending-layer.js";
import { groupWait } from "./group-wait.js";
import { summaryPlaceholders } from "./summary-placeholders.js";
import { timeZoneNames } from "./time-zone-names.js";
import { contactMethods } from "./contact-methods.js";
import { applyLevels } from "./levels.js";
import { noProcessEnv } from "./no-process-env.js";
import { noSecretLiterals } from "./no-secret-literals.js";
import { oncallCoverage } from "./oncall-coverage.js";
import { ownerTeams } from "./owner-teams.js";
import { pagerdutyIncidentFrom } from "./pagerduty-incident-from.js";
import { pagerdutyIds } from "./pagerduty-ids.js";
import { pagerdutyLimits } from "./pagerduty-limits.js";
import { previousIds } from "./previous-ids.js";
import { quorum } from "./quorum.js";
import { reachableOnCall } from "./reachable-on-call.js";
import { runbookUrl } from "./runbook-url.js";
import { singleResponder } from "./single-responder.js";
import { singleRulePolicy } from "./single-rule-policy.js";
import { smtpTlsMode } from "./smtp-tls-mode.js";
import { statusPages } from "./status-pages.js";
import type { NamedRule, RuleContext } from "./types.js";
import { uniqueIds } from "./unique-ids.js";
import { unusedOncall } from "./unused-oncall.js";
import { validPromql } from "./valid-promql.js";
import { validSchedules } from "./valid-schedules.js";

export type { NamedRule, Rule, RuleContext, RuleMemo } from "./types.js";

/** Every rule, by the name the config's `rules` uses and diagnostics carry as their code. */
export const RULES: readonly NamedRule[] = [
  { name: "unique-ids", description: "ids are unique within a kind", check: uniqueIds },
  { name: "valid-schedules", description: "cron expressions, intervals, time zones and dates are valid", check: validSchedules },
  { name: "valid-promql", description: "PromQL queries parse with Prometheus's own grammar", check: validPromql },
  { name: "declared-secrets", description: "every referenced secret is declared in the config", check: declaredSecrets },
  { name: "no-secret-literals", description: "no token, webhook URL or key written into a module", check: noSecretLiterals },
  { name: "no-process-env", description: "modules do not read process.env (use secret(\"NAME\"))", check: noProcessEnv },
  { name: "pagerduty-limits", description: "PagerDuty's API limits hold", check: pagerdutyLimits },
  { name: "pagerduty-incident-from", description: "a PagerDuty incident channel's from is a user's email", check: pagerdutyIncidentFrom },
  { name: "runbook-url", description: "a monitor's runbook is an absolute http(s) URL", check: runbookUrl },
  { name: "critical-routes-to-service", description: "critical monitors page through a service", check: criticalRoutesToService },
  { name: "oncall-coverage", description: "first escalation steps cover the next 4 weeks", check: oncallCoverage },
  { name: "previous-ids", description: "previousIds name ids that are gone, each claimed once", check: previousIds },
  { name: "pagerduty-ids", description: "an adopted pagerdutyId is a PagerDuty id, adopted once", check: pagerdutyIds },
  { name: "contact-methods", description: "contact methods and notification rules PagerDuty accepts", check: contactMethods },
  { name: "quorum", description: "a monitor's quorum is between 1 and the number of its locations", check: quorum },
  { name: "status-pages", description: "status pages name monitors the project defines, each once", check: statusPages },
  { name: "reachable-on-call", description: "people paged for critical services have a phone, SMS or push rule", check: reachableOnCall },
  { name: "single-responder", description: "a critical service's escalation policy can reach more than one person", check: singleResponder },
  { name: "ending-layer", description: "no schedule layer ends within the coverage window without another taking over", check: endingLayer },
  { name: "unused-oncall", description: "every schedule is in a policy and every policy is used by a service", check: unusedOncall },
  { name: "single-rule-policy", description: "an escalation policy has a second rule or loops", check: singleRulePolicy },
  { name: "group-wait", description: "no channel holds an alert's first notification for more than 5 minutes", check: groupWait },
  { name: "smtp-tls-mode", description: "an email channel's smtp.secure matches its port's TLS mode (465 implicit TLS; 587, 25, 2525 STARTTLS)", check: smtpTlsMode },
  { name: "summary-placeholders", description: "a summary template's placeholders are ones the runtime fills in", check: summaryPlaceholders },
  { name: "owner-teams", description: "a monitor's owner and a service's team are teams with members", check: ownerTeams },
  { name: "time-zone-names", description: "time zones are IANA region names as the database writes them, not abbreviations", check: timeZoneNames },
];

/**
 * Runs every rule and applies the config's levels. With `schemaFailed`, the manifest is known to
 * break the schema somewhere: the rules still run so that every problem is reported at once, but a
 * rule that trips over the malformed part is skipped, since what it would say is a symptom of
 * the schema error already reported. With `only`, just the rules of those names run (the config's
 * levels still apply to them, and its unknown names are still reported).
 */
export function runRules(ctx: RuleContext, configFile: string, schemaFailed = false, only?: readonly string[]): Diagnostic[] {
  const findings = (only ? RULES.filter((rule) => only.includes(rule.name)) : RULES).flatMap((rule) => {
    if (!schemaFailed) return rule.check(ctx);
    try {
      return rule.check(ctx);
    } catch {
      return [];
    }
  });
  return applyLevels(findings, ctx.config.rules, RULES.map((r) => r.name), configFile, ctx.sources.get(configFile));
}
