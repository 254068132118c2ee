/**
 * The Watchkeeper authoring SDK: typed factories for monitors and on-call policy, and the manifest
 * contract (`watchkeeper.dev/v1`) shared by the compiler, the Pulumi program and the runtime.
 */
export * from "./duration.js";
export * from "./secret.js";
export * from "./result.js";
export { humanize, humanize1024, humanizeDuration, humanizePercentage } from "./humanize.js";
export { check } from "./constructs/checks.js";
export type * from "./constructs/checks.js";
export { channel } from "./constructs/channels.js";
export type * from "./constructs/channels.js";
export { diagnostic, type Diagnostic } from "./constructs/diagnostics.js";
export { monitor, type Monitor, type MonitorProps, type ScheduleExpression, type Severity } from "./constructs/monitor.js";
export * from "./constructs/oncall.js";
export { contactMethod, type ContactMethod, type ContactMethodType, type NotificationRule } from "./constructs/contact-methods.js";
export * from "./constructs/silence.js";
export { statusPage, type StatusPage, type StatusPageProps, type StatusPageGroup } from "./constructs/status-page.js";
export { config, type ProjectConfig, type RuleLevel } from "./constructs/config.js";
export { isConstruct, constructStack, type Construct } from "./constructs/definition.js";
export { collectConstructs } from "./collect.js";
export { synthesize, monitorCode, type SynthInput } from "./synth.js";
export { monitorTest, feed, isMonitorTest } from "./constructs/monitor-test.js";
export type * from "./constructs/monitor-test.js";
