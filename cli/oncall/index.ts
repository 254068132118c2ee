/**
 * Who is on call, and who an incident reaches when, from the manifest alone: PagerDuty's
 * schedule and escalation semantics as pure functions of the manifest and an instant.
 * Shared by `wk simulate`, `wk oncall` and the escalation rules.
 */
export { oncallDirectory, personLabel, type OncallDirectory } from "./directory.js";
export { onCallAt, shiftsBetween, resolveTargets, peopleOf, type OnCall, type ResolvedTarget } from "./resolve.js";
export { escalate, activeStepAt, activeRuleAt, type Escalation, type EscalationStep, type EscalateOptions } from "./escalation.js";
export { peopleReachable, criticalServices } from "./reach.js";
export { parseInstant, formatInstant, formatSpan, isoInstant, type TimeRefusal } from "./time.js";
